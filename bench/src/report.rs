//! The results: each figure on both servers, as a table on stdout and as JSON. The ratio is
//! always Gatehouse's median over OpenSSH's median from the same run; whether higher or
//! lower is better is printed beside it.

use std::path::Path;

use serde::Serialize;

use crate::stats::{BySide, Summary};

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub unit: &'static str,
    pub better: Better,
    pub gatehouse: Summary,
    pub openssh: Summary,
    /// Gatehouse's median divided by OpenSSH's.
    pub ratio: f64,
}

#[derive(Debug, Serialize)]
pub struct Failure {
    pub phase: &'static str,
    pub error: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub settings: serde_json::Value,
    pub machine: serde_json::Value,
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
    pub failures: Vec<Failure>,
}

impl Report {
    pub fn add(
        &mut self,
        name: impl Into<String>,
        unit: &'static str,
        better: Better,
        by: &BySide,
    ) {
        let gatehouse = Summary::of(&by.gatehouse);
        let openssh = Summary::of(&by.openssh);
        let ratio = gatehouse.median / openssh.median;
        let name = name.into();
        let figure = Figure {
            name,
            unit,
            better,
            gatehouse,
            openssh,
            ratio,
        };
        println!("  {}", row(&figure));
        self.figures.push(figure);
    }

    pub fn note(&mut self, text: String) {
        println!("  note: {text}");
        self.notes.push(text);
    }

    pub fn fail(&mut self, phase: &'static str, error: &anyhow::Error) {
        println!("  FAILED {phase}: {error:#}");
        let error = format!("{error:#}");
        self.failures.push(Failure { phase, error });
    }

    pub fn print_table(&self) {
        println!("\n{}", header());
        println!("{}", "-".repeat(header().len()));
        for figure in &self.figures {
            println!("{}", row(figure));
        }
        for note in &self.notes {
            println!("note: {note}");
        }
        for failure in &self.failures {
            println!("FAILED {}: {}", failure.phase, failure.error);
        }
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")?;
        Ok(())
    }
}

fn header() -> String {
    format!(
        "{:<46} {:>9} {:>27} {:>27} {:>7} {:>6}",
        "figure",
        "unit",
        "Gatehouse median [min-max]",
        "OpenSSH median [min-max]",
        "GH/OSSH",
        "better"
    )
}

fn row(figure: &Figure) -> String {
    let better = match figure.better {
        Better::Higher => "higher",
        Better::Lower => "lower",
    };
    format!(
        "{:<46} {:>9} {:>27} {:>27} {:>7.2} {:>6}",
        figure.name,
        figure.unit,
        spread(&figure.gatehouse),
        spread(&figure.openssh),
        figure.ratio,
        better
    )
}

fn spread(summary: &Summary) -> String {
    format!(
        "{} [{}-{}]",
        short(summary.median),
        short(summary.min),
        short(summary.max)
    )
}

/// Three significant digits or so, without scientific notation.
fn short(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        v if v >= 1.0 => format!("{value:.2}"),
        _ => format!("{value:.3}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_gatehouse_median_over_openssh_median() {
        let mut report = Report::default();
        let by = BySide {
            gatehouse: vec![2.0, 4.0, 6.0],
            openssh: vec![1.0, 2.0, 3.0],
        };

        report.add("x", "MiB/s", Better::Higher, &by);

        assert_eq!(report.figures[0].ratio, 2.0, "4 over 2 should be 2");
    }
}
