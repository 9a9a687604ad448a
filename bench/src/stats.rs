//! Samples of one figure on one server, summarised as median, min and max. No outlier
//! trimming: with a handful of rounds, min and max are the honest spread.

use serde::Serialize;

use crate::server::Kind;

/// What one figure measured on each server, in the order the rounds ran.
#[derive(Debug, Default, Clone)]
pub struct BySide {
    pub gatehouse: Vec<f64>,
    pub openssh: Vec<f64>,
}

impl BySide {
    pub fn push(&mut self, kind: Kind, value: f64) {
        match kind {
            Kind::Gatehouse => self.gatehouse.push(value),
            Kind::OpenSsh => self.openssh.push(value),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub samples: Vec<f64>,
}

impl Summary {
    /// Median (mean of the middle two for an even count); NaN for no samples.
    pub fn of(samples: &[f64]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Summary {
            median,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            samples: samples.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let summary = Summary::of(&[4.0, 1.0, 3.0, 2.0]);

        assert_eq!(summary.median, 2.5, "median of 1..=4 should be 2.5");
        assert_eq!((summary.min, summary.max), (1.0, 4.0));
    }

    #[test]
    fn median_of_an_odd_count_is_the_middle_value() {
        let summary = Summary::of(&[9.0, 1.0, 5.0]);

        assert_eq!(summary.median, 5.0, "median of 1, 5, 9 should be 5");
    }
}
