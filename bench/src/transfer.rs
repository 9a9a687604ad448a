//! Bulk transfers with OpenSSH's `sftp`: one large file up and down per cipher, and many
//! sessions in parallel. Each run is one `sftp -b` invocation, so its time includes a key
//! login (tens of milliseconds, against seconds of transfer at the default sizes).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::ensure;
use futures::future::try_join_all;
use rand::RngCore;

use crate::Bench;
use crate::report::{Better, Report};
use crate::server::Server;
use crate::stats::BySide;

pub const MIB: u64 = 1024 * 1024;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
pub const LARGE: &str = "large.bin";
const CIPHERS: [(Option<&str>, &str); 2] = [
    (None, "default cipher"),
    (Some("aes128-gcm@openssh.com"), "aes128-gcm"),
];

/// Throughput and server CPU of one transfer direction on both servers.
#[derive(Default)]
struct Direction {
    speed: BySide,
    cpu: BySide,
}

pub async fn large_file(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let mib = bench.settings.file_mib;
    ensure_file(&bench.work.join(LARGE), mib * MIB)?;
    for (cipher, label) in CIPHERS {
        let (mut up, mut down) = (Direction::default(), Direction::default());
        for round in 0..bench.settings.rounds {
            for server in bench.in_order(round) {
                let put = format!("put {LARGE} {LARGE}");
                let (secs, cpu) = timed(bench, server, cipher, &[put]).await?;
                record(&mut up, server, mib, secs, cpu);
                let get = format!("get {LARGE} {LARGE}.down");
                let (secs, cpu) = timed(bench, server, cipher, &[get]).await?;
                record(&mut down, server, mib, secs, cpu);
                check_download(&bench.work.join(format!("{LARGE}.down")), mib * MIB)?;
            }
        }
        add(report, &format!("{mib} MiB upload, {label}"), &up);
        add(report, &format!("{mib} MiB download, {label}"), &down);
    }
    Ok(())
}

pub async fn parallel(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let (count, each) = (bench.settings.parallel, bench.settings.parallel_mib);
    ensure_file(&bench.work.join("part.bin"), each * MIB)?;
    let (mut up, mut down) = (Direction::default(), Direction::default());
    for round in 0..bench.settings.rounds {
        for server in bench.in_order(round) {
            let puts: Vec<_> = (0..count)
                .map(|i| format!("put part.bin part{i}.bin"))
                .collect();
            let (secs, cpu) = timed(bench, server, None, &puts).await?;
            record(&mut up, server, each * count as u64, secs, cpu);
            let gets: Vec<_> = (0..count)
                .map(|i| format!("get part{i}.bin part{i}.down"))
                .collect();
            let (secs, cpu) = timed(bench, server, None, &gets).await?;
            record(&mut down, server, each * count as u64, secs, cpu);
            check_download(&bench.work.join("part0.down"), each * MIB)?;
        }
    }
    add(
        report,
        &format!("{count} x {each} MiB parallel upload, total"),
        &up,
    );
    add(
        report,
        &format!("{count} x {each} MiB parallel download, total"),
        &down,
    );
    Ok(())
}

/// Runs each batch in its own `sftp` at once; returns wall seconds and server CPU seconds.
pub async fn timed(
    bench: &Bench,
    server: &Server,
    cipher: Option<&str>,
    batches: &[String],
) -> anyhow::Result<(f64, f64)> {
    let cpu_before = server.cpu_seconds();
    let started = std::time::Instant::now();
    let runs = batches
        .iter()
        .map(|batch| bench.client.batch(server, cipher, batch, &bench.work));
    try_join_all(runs).await?;
    let secs = started.elapsed().as_secs_f64();
    // Lets sshd's session processes exit and be reaped, so their CPU is in sshd's total.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok((secs, server.cpu_seconds() - cpu_before))
}

fn record(direction: &mut Direction, server: &Server, mib: u64, secs: f64, cpu: f64) {
    direction.speed.push(server.kind, mib as f64 / secs);
    direction
        .cpu
        .push(server.kind, cpu / (mib as f64 * MIB as f64 / GIB));
}

fn add(report: &mut Report, name: &str, direction: &Direction) {
    report.add(name, "MiB/s", Better::Higher, &direction.speed);
    report.add(
        format!("  server CPU, {name}"),
        "s/GiB",
        Better::Lower,
        &direction.cpu,
    );
}

/// Writes `size` random bytes to `path` unless a file of that size is already there.
/// Random, so nothing along the way can win by compressing.
pub fn ensure_file(path: &Path, size: u64) -> anyhow::Result<()> {
    if std::fs::metadata(path).is_ok_and(|meta| meta.len() == size) {
        return Ok(());
    }
    // A server's root folder may not exist before its first session (Gatehouse makes it then).
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut chunk = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        rand::thread_rng().fill_bytes(&mut chunk);
        let take = left.min(MIB);
        file.write_all(&chunk[..take as usize])?;
        left -= take;
    }
    file.flush()?;
    Ok(())
}

fn check_download(path: &Path, size: u64) -> anyhow::Result<()> {
    let len = std::fs::metadata(path)?.len();
    ensure!(
        len == size,
        "{} has {len} bytes, expected {size}",
        path.display()
    );
    std::fs::remove_file(path)?;
    Ok(())
}
