//! The threads that run argon2, apart from everything else.
//!
//! A password check is 19 MiB and some tens of milliseconds of one core, by design. A flood of
//! guesses must not take that time from the sessions moving files, so the checks get their
//! own small set of threads, fed by a bounded queue, scheduled below everything else
//! ([`HashPriority`], by default `SCHED_IDLE` on Linux): when a core is wanted both by a
//! transfer and by a guess, the transfer gets it, at once. An idle server checks passwords at
//! full speed; a busy one makes logins slower before it makes transfers slower. Past the
//! queue's bound, new checks are refused at once instead of waiting behind a flood.
//!
//! Why not just a nice value: measured on two cores with 200 wrong passwords a second, a
//! download kept 0.77 of its quiet speed with the hashing thread at nice 10 and the same at
//! nice 19, but 0.90 under `SCHED_IDLE`. A niced thread still runs on every idle moment and
//! is not preempted the instant a transfer's thread wakes; an idle-class thread is.
//!
//! This pool does not decide what to hash or what a result means; `password` does.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::config::HashPriority;
use crate::error::CoreError;

/// The nice value of [`HashPriority::Low`], relative to the server's own: CFS gives a thread
/// at nice 10 about a tenth of the share of one at nice 0.
const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// A handle to the hashing threads; clones share them. The threads end when the last handle
/// is dropped and the queue has drained.
#[derive(Clone)]
pub(super) struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// Starts `threads` threads (at least one) with room for `queue` waiting checks.
    pub(super) fn start(
        threads: usize,
        queue: usize,
        priority: HashPriority,
    ) -> Result<Self, CoreError> {
        let (jobs, waiting) = mpsc::sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..threads.max(1) {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&waiting, priority))
                .map_err(|err| {
                    CoreError::Hashing(format!("cannot start a hashing thread: {err}"))
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `job` on a hashing thread. [`CoreError::Busy`] at once when the queue is full.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        let (answer, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone (its connection dropped); then no one wants the result.
            let _ = answer.send(job());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(CoreError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(CoreError::Hashing(
                    "the hashing threads have stopped".into(),
                ));
            }
        }
        result
            .await
            .map_err(|_| CoreError::Hashing("a password check panicked".into()))
    }
}

fn work(waiting: &Mutex<Receiver<Job>>, priority: HashPriority) {
    lower_priority(priority);
    loop {
        // Hold the lock only to take a job, never while hashing.
        let job = match waiting.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return, // Another hashing thread panicked while taking a job.
        };
        let Ok(job) = job else {
            return; // Every handle is gone.
        };
        job();
    }
}

/// On Linux the scheduling policy and nice value belong to each thread, so this changes only
/// the calling thread. If the idle class cannot be had, nice 10 is the fallback.
#[cfg(target_os = "linux")]
fn lower_priority(priority: HashPriority) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy, thread_native_id,
    };
    match priority {
        HashPriority::Normal => {}
        HashPriority::Low => nice(NICENESS),
        HashPriority::Idle => {
            let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
            let set = thread_priority::set_thread_priority_and_policy(
                thread_native_id(),
                ThreadPriority::Min,
                idle,
            );
            if let Err(error) = set {
                tracing::warn!(?error, "cannot put the hashing thread in the idle class");
                nice(NICENESS);
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn nice(by: i32) {
    let thread = Some(rustix::thread::gettid());
    let lowered = rustix::process::getpriority_process(thread)
        .and_then(|own| rustix::process::setpriority_process(thread, (own + by).min(19)));
    if let Err(error) = lowered {
        tracing::warn!(%error, "cannot lower the hashing thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_priority: HashPriority) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_in_the_idle_class_by_default() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let pool = HashPool::start(1, 4, HashPriority::default()).unwrap();

        let policy = pool
            .run(|| thread_priority::thread_schedule_policy().unwrap())
            .await
            .unwrap();

        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        assert_eq!(policy, idle, "a hashing thread is SCHED_IDLE");
        assert_ne!(
            thread_priority::thread_schedule_policy().unwrap(),
            idle,
            "the caller's own policy is untouched"
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn low_priority_hashing_threads_run_nicer() {
        let own = rustix::process::getpriority_process(None).unwrap();
        let pool = HashPool::start(1, 4, HashPriority::Low).unwrap();

        let hashing = pool
            .run(|| rustix::process::getpriority_process(None).unwrap())
            .await
            .unwrap();

        let expected = (own + NICENESS).min(19);
        assert_eq!(hashing, expected, "a hashing thread runs {NICENESS} nicer");
        assert_eq!(
            rustix::process::getpriority_process(None).unwrap(),
            own,
            "the caller's own priority is untouched"
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_the_pool_recovers() {
        let pool = HashPool::start(1, 1, HashPriority::Normal).unwrap();
        let (started, running) = oneshot::channel();
        let (release, gate) = mpsc::channel::<()>();
        let busy = pool.clone();
        let held = tokio::spawn(async move {
            let hold = move || {
                started.send(()).unwrap();
                gate.recv().unwrap();
            };
            busy.run(hold).await
        });
        running.await.unwrap();

        // The one thread is busy: the next check waits in the queue, the one after is refused.
        let mut queued = std::pin::pin!(pool.run(|| 2));
        assert!(
            futures::poll!(queued.as_mut()).is_pending(),
            "queued, not refused"
        );
        let refused = pool.run(|| 3).await;
        release.send(()).unwrap();

        assert!(matches!(refused, Err(CoreError::Busy)), "{refused:?}");
        assert!(held.await.unwrap().is_ok());
        assert_eq!(queued.await.unwrap(), 2);
        assert_eq!(pool.run(|| 4).await.unwrap(), 4, "and it recovers");
    }
}
