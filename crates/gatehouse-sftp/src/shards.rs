//! SSH connections spread over single-threaded runtimes, one per core; each connection is
//! served by one thread from its first byte to its last.
//!
//! A session is three tasks that hand data to one another thousands of times per GiB:
//! russh's connection task (encryption and the socket), our reader and our dispatcher (see
//! [`crate::pump`]). On tokio's work-stealing runtime each hand-off may wake another worker
//! thread. On a 2-core machine a 1 GiB download cost the server about 30,000 context switches
//! and 1.6 s of CPU that way, against 7,000 and 1.35 s with every hand-off on one thread.
//! Pinning a connection to one thread keeps its hand-offs cheap; one shard per core keeps
//! every core busy when many sessions transfer at once. A new connection goes to the shard
//! serving the fewest. File I/O still runs on the blocking pool and password hashing on its
//! own pool, so neither stalls a shard.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// The running shards. Dropping this stops them, and every connection they serve.
pub struct Shards {
    shards: Vec<Shard>,
}

struct Shard {
    jobs: mpsc::UnboundedSender<Job>,
    /// Connections this shard is serving now.
    live: Arc<AtomicUsize>,
}

impl Shards {
    /// Starts `count` shards, or one per available core when `count` is 0.
    pub fn start(count: usize) -> io::Result<Self> {
        let count = match count {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let shards = (0..count).map(Shard::start).collect::<io::Result<_>>()?;
        tracing::debug!(threads = count, "SFTP connection threads started");
        Ok(Self { shards })
    }

    /// Runs the future `make` returns on the least busy shard. `make` runs there too, so
    /// anything it registers with tokio (a socket, a timer) belongs to that shard's thread.
    pub fn spawn<F>(&self, make: impl FnOnce() -> F + Send + 'static)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Some(shard) = self
            .shards
            .iter()
            .min_by_key(|shard| shard.live.load(Ordering::Relaxed))
        else {
            return;
        };
        let live = LiveGuard::new(Arc::clone(&shard.live));
        let job: Job = Box::new(move || {
            Box::pin(async move {
                let _live = live;
                make().await;
            })
        });
        if shard.jobs.send(job).is_err() {
            tracing::error!("an SFTP shard has stopped; the connection is dropped");
        }
    }
}

impl Shard {
    fn start(index: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name(format!("sftp-{index}-io"))
            .build()?;
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        std::thread::Builder::new()
            .name(format!("sftp-{index}"))
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job());
                    }
                });
                // Dropping the runtime here cancels the connections still open.
            })?;
        Ok(Self {
            jobs,
            live: Arc::new(AtomicUsize::new(0)),
        })
    }
}

/// Counts a connection as live from the moment it is handed to a shard until its future
/// ends or is dropped.
struct LiveGuard(Arc<AtomicUsize>);

impl LiveGuard {
    fn new(live: Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::Relaxed);
        Self(live)
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn connections_go_to_the_least_busy_shard_and_run_on_its_thread() {
        let shards = Shards::start(2).unwrap();
        let (names, mut seen) = mpsc::unbounded_channel();
        let (release, held) = tokio::sync::watch::channel(false);
        for _ in 0..4 {
            let names = names.clone();
            let mut held = held.clone();
            shards.spawn(move || async move {
                let thread = std::thread::current().name().map(str::to_owned);
                names.send(thread).unwrap();
                let _ = held.wait_for(|released| *released).await;
            });
        }
        let mut threads = Vec::new();
        for _ in 0..4 {
            threads.push(seen.recv().await.unwrap().unwrap());
        }
        threads.sort();
        assert_eq!(threads, ["sftp-0", "sftp-0", "sftp-1", "sftp-1"]);
        assert_eq!(shards.shards[0].live.load(Ordering::Relaxed), 2);

        release.send(true).unwrap();
        for _ in 0..100 {
            if shards
                .shards
                .iter()
                .all(|s| s.live.load(Ordering::Relaxed) == 0)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("finished connections should no longer count as live");
    }
}
