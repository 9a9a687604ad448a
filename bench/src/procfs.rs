//! What the kernel says a server costs: CPU time and proportional memory (PSS) of a process
//! and every process below it, read from `/proc`. Linux only.
//!
//! CPU: each live process in the tree contributes `utime + stime + cutime + cstime` (fields
//! 14 to 17 of `/proc/<pid>/stat`). A child that has exited and been reaped is counted in
//! its parent's `cutime`/`cstime`, so sshd's short-lived per-session processes are counted
//! exactly once, alive or gone, as long as sshd reaps them (it does, on SIGCHLD).

use std::collections::HashMap;

/// Every process whose ancestry leads to `root`, `root` first.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for pid in all_pids() {
        if let Some(stat) = Stat::read(pid) {
            children.entry(stat.ppid).or_default().push(pid);
        }
    }
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        found.extend(children.remove(&found[next]).unwrap_or_default());
        next += 1;
    }
    found
}

/// CPU seconds used so far by `root` and everything below it, including reaped children.
pub fn cpu_seconds(root: u32) -> f64 {
    let ticks: u64 = tree(root)
        .into_iter()
        .filter_map(Stat::read)
        .map(|stat| stat.cpu_ticks)
        .sum();
    ticks as f64 / rustix::param::clock_ticks_per_second() as f64
}

/// Sum of PSS in KiB over `root` and everything below it. PSS splits shared pages between
/// the processes sharing them, so forked sshd sessions are not charged for the whole binary.
pub fn pss_kib(root: u32) -> u64 {
    tree(root).into_iter().filter_map(pss_of).sum()
}

fn pss_of(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = text.lines().find(|line| line.starts_with("Pss:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn all_pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
}

struct Stat {
    ppid: u32,
    cpu_ticks: u64,
}

impl Stat {
    fn read(pid: u32) -> Option<Stat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Stat::parse(&text)
    }

    /// The command name in field 2 may hold spaces and parentheses; fields after the last
    /// `)` are plain numbers. Field N of proc(5) is `rest[N - 3]`.
    fn parse(text: &str) -> Option<Stat> {
        let rest: Vec<&str> = text
            .get(text.rfind(')')? + 1..)?
            .split_whitespace()
            .collect();
        let field = |n: usize| rest.get(n - 3)?.parse::<u64>().ok();
        Some(Stat {
            ppid: u32::try_from(field(4)?).ok()?,
            cpu_ticks: field(14)? + field(15)? + field(16)? + field(17)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_a_parenthesis_in_the_name_parses() {
        let line = "42 (sshd: a) b) S 7 42 42 0 -1 4194560 1 0 0 0 11 22 33 44 20 0 1 0";

        let stat = Stat::parse(line).expect("a well-formed stat line should parse");

        assert_eq!(stat.ppid, 7, "ppid is field 4");
        assert_eq!(stat.cpu_ticks, 11 + 22 + 33 + 44, "cpu is fields 14 to 17");
    }

    #[test]
    fn own_process_is_the_root_of_its_tree() {
        let me = std::process::id();

        assert_eq!(
            tree(me).first(),
            Some(&me),
            "the tree should start at its root"
        );
        assert!(pss_kib(me) > 0, "a running process should have some PSS");
    }
}
