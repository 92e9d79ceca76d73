//! A progress line on stderr for long runs. Drawn only when stderr is a terminal, and only once
//! the run has taken a second, so quick runs, pipes and CI logs never see it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

const DELAY: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Counts {
    found: AtomicUsize,
    checking: AtomicBool,
    total: AtomicUsize,
    done: AtomicUsize,
}

pub struct Progress {
    counts: Arc<Counts>,
    drawer: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// A progress line that draws itself after [`DELAY`] if `enabled`; otherwise only counts.
    pub fn new(enabled: bool) -> Self {
        let counts = Arc::new(Counts::default());
        let drawer = enabled.then(|| {
            let (tx, rx) = mpsc::channel();
            let c = counts.clone();
            (tx, std::thread::spawn(move || draw(&c, &rx)))
        });
        Self { counts, drawer }
    }

    /// One more file found while walking.
    pub fn found(&self) {
        self.counts.found.fetch_add(1, Relaxed);
    }

    /// The walk is over; `total` files are to be checked.
    pub fn checking(&self, total: usize) {
        self.counts.total.store(total, Relaxed);
        self.counts.checking.store(true, Relaxed);
    }

    /// One more file checked.
    pub fn checked(&self) {
        self.counts.done.fetch_add(1, Relaxed);
    }

    /// Stops drawing and clears the line. Call before printing results.
    pub fn finish(&mut self) {
        if let Some((tx, handle)) = self.drawer.take() {
            drop(tx);
            let _ = handle.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn draw(counts: &Counts, stop: &mpsc::Receiver<()>) {
    if !matches!(
        stop.recv_timeout(DELAY),
        Err(mpsc::RecvTimeoutError::Timeout)
    ) {
        return;
    }
    let mut err = std::io::stderr();
    loop {
        let line = if counts.checking.load(Relaxed) {
            format!(
                "heap-audit: checked {}/{} files",
                counts.done.load(Relaxed),
                counts.total.load(Relaxed)
            )
        } else {
            format!(
                "heap-audit: looking for files… {} found",
                counts.found.load(Relaxed)
            )
        };
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        if !matches!(
            stop.recv_timeout(TICK),
            Err(mpsc::RecvTimeoutError::Timeout)
        ) {
            break;
        }
    }
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}
