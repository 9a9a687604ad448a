//! Listing a large folder: `ls -l` of a folder of `listing_files` empty files with OpenSSH's
//! `sftp`, whose time includes the key login (see the login figure to subtract it).

use anyhow::ensure;

use crate::Bench;
use crate::report::{Better, Report};
use crate::stats::BySide;

const FOLDER: &str = "listing";

pub async fn run(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let files = bench.settings.listing_files;
    for server in bench.in_order(0) {
        let folder = server.root.join(FOLDER);
        std::fs::create_dir_all(&folder)?;
        for i in 0..files {
            std::fs::File::create(folder.join(format!("file-{i:05}")))?;
        }
    }

    let mut seconds = BySide::default();
    for round in 0..bench.settings.rounds {
        for server in bench.in_order(round) {
            let batch = format!("ls -l {FOLDER}\n");
            let run = bench
                .client
                .batch(server, None, &batch, &bench.work)
                .await?;
            let listed = run
                .stdout
                .lines()
                .filter(|line| line.contains("file-"))
                .count();
            ensure!(
                listed == files,
                "{} listed {listed} of {files}",
                server.kind.name()
            );
            seconds.push(server.kind, run.elapsed.as_secs_f64() * 1000.0);
        }
    }
    report.add(
        format!("ls -l of {files} files (with login)"),
        "ms",
        Better::Lower,
        &seconds,
    );
    Ok(())
}
