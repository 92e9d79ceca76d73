//! The language server: tower-lsp-server behind our own framing layer, over stdio.
//!
//! Converts between LSP positions and the engine's byte ranges at this boundary and nowhere else
//! (`encoding`). One file per LSP method under `requests/` and `notifications/`; the shared state
//! is in `state`, the analysis thread and the ordered publisher in `worker`, the allocation profiles
//! of each workspace folder (loaded on their own thread) in `profiles`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tower_lsp_server::{LspService, Server};

mod backend;
mod configuration;
mod diagnostics;
pub mod encoding;
mod guard;
mod health;
mod notifications;
mod profiles;
mod requests;
mod settings;
mod state;
mod transport;
mod worker;

pub use backend::Backend;
pub use diagnostics::SOURCE;
pub use requests::code_action::FIX_ALL_KIND;

/// Handlers that tower-lsp may run at once. Requests that wait (on the analysis pool, or on the
/// client) must not hold up the notifications behind them.
const CONCURRENCY: usize = 16;
/// The blocking pool's size (tokio's default is 512).
const BLOCKING_THREADS: usize = 6;
/// How long to let in-flight work finish once the client has gone or said `exit`.
const DRAIN: Duration = Duration::from_secs(3);

/// Reports a panic on stderr (the editor's log) in one line, without a backtrace unless
/// `HEAP_AUDIT_BACKTRACE` is set. The guards recover from every panic and say which rule or
/// request it was. A backtrace under the `RUST_BACKTRACE=1` that editors often set would load
/// and keep the binary's debug info: 80 MB of resident memory for the rest of the session, from
/// the first panic on (seen in the soak test).
fn quiet_panics() {
    let backtrace = std::env::var_os("HEAP_AUDIT_BACKTRACE").is_some();
    std::panic::set_hook(Box::new(move |info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        if backtrace {
            let trace = std::backtrace::Backtrace::force_capture();
            eprintln!("heap-audit: thread '{name}' panicked at {at}: {message}\n{trace}");
        } else {
            eprintln!("heap-audit: thread '{name}' panicked at {at}: {message}");
        }
    }));
}

/// Blocks of this size or more are mapped by themselves (see [`fix_malloc_thresholds`]).
const MMAP_THRESHOLD: usize = 64 << 10;
/// Free memory at the top of a malloc heap beyond this is handed back on `free`.
const TRIM_THRESHOLD: usize = 2 * MMAP_THRESHOLD;

/// Fixes glibc malloc's thresholds for a long-running server. Left dynamic, each freed mapped
/// block raises the mmap threshold to its size (up to 32 MB) and the trim threshold to twice
/// that: after a large document, buffers of its size come from the heaps of the threads that
/// touched it, fragment them, and a thread's heap keeps that much free memory at its top, which
/// `malloc_trim` does not return for the heaps of threads other than the main one. With fixed
/// thresholds (setting one turns the adjustment off), a document-sized buffer is its own mapping
/// and goes back to the system whole when freed (`tests/soak.rs` measures the effect).
fn fix_malloc_thresholds() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before the server's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
    }
}

/// `heap-audit server`: serves LSP on stdin/stdout until `exit` or the end of input.
pub fn run() -> ExitCode {
    #[cfg(feature = "count-allocs")]
    crate::alloc_count::count_tree_sitter();
    fix_malloc_thresholds();
    quiet_panics();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("heap-audit-lsp")
        // Hovers, code actions and pulled diagnostics run on the blocking pool; each of its
        // threads keeps its own parsers and text buffer, so the pool is kept small (stdin's
        // reader holds one of them).
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("heap-audit: cannot start the server runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let (stdout, written) = match StdoutThread::start() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("heap-audit: cannot start the output thread: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(serve(tokio::io::stdin(), stdout));
    // The blocking stdin read may never return; do not wait for it.
    runtime.shutdown_background();
    // What was handed to the output thread is written before the process ends (unless the
    // client stopped reading).
    let _ = written.recv_timeout(DRAIN);
    code
}

/// Standard output, written by a thread of its own: the output task hands each frame over
/// (into a buffer that the thread gives back when written) and goes on, where tokio's `Stdout`
/// would send every write and every flush through the blocking pool and wait for it. A frame
/// written to a slow client holds up no task of the runtime.
struct StdoutThread {
    frames: std::sync::mpsc::Sender<Vec<u8>>,
    pool: Arc<transport::FramePool>,
}

impl StdoutThread {
    /// The writer, and a channel that closes once the thread has written everything it was
    /// handed (the writer dropped) or the client went away.
    fn start() -> std::io::Result<(Self, std::sync::mpsc::Receiver<()>)> {
        let (frames, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (done, written) = std::sync::mpsc::channel();
        let pool = Arc::new(transport::FramePool::default());
        let kept = Arc::clone(&pool);
        std::thread::Builder::new()
            .name("heap-audit-stdout".into())
            .spawn(move || {
                use std::io::Write;
                let _done = done;
                let stdout = std::io::stdout();
                for frame in rx {
                    let mut out = stdout.lock();
                    if out.write_all(&frame).and_then(|()| out.flush()).is_err() {
                        return;
                    }
                    kept.put(frame);
                }
            })?;
        Ok((Self { frames, pool }, written))
    }
}

impl AsyncWrite for StdoutThread {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let mut frame = self.pool.take();
        frame.extend_from_slice(buf);
        std::task::Poll::Ready(match self.frames.send(frame) {
            Ok(()) => Ok(buf.len()),
            Err(_) => Err(std::io::ErrorKind::BrokenPipe.into()),
        })
    }

    /// Handed over is as far as this writer goes; the thread flushes after every frame.
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Serves LSP over any byte streams. Returns 0 when the session ended after a `shutdown`
/// request, 1 otherwise (the LSP rule for `exit`; the same for a client that just went away).
pub async fn serve<I, O>(input: I, output: O) -> ExitCode
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (to_lsp, lsp_in) = tokio::io::duplex(64 * 1024);
    let (lsp_out, from_lsp) = tokio::io::duplex(64 * 1024);
    let (errors_tx, errors_rx) = mpsc::unbounded_channel();

    let builder = LspService::build(Backend::new);
    #[cfg(feature = "count-allocs")]
    let builder = builder.custom_method("heap-audit/allocations", Backend::allocations);
    let (service, socket) = builder.finish();
    let session = Arc::clone(&service.inner().session);
    session.set_raw_output(errors_tx.clone());
    let publisher = service.inner().publisher.clone();
    let server = tokio::spawn(
        Server::new(lsp_in, lsp_out, socket)
            .concurrency_level(CONCURRENCY)
            .serve(service),
    );
    let writer = tokio::spawn(transport::pump_output(
        from_lsp,
        errors_rx,
        output,
        Arc::clone(&session.frames),
    ));

    let end = transport::pump_input(input, to_lsp, errors_tx).await;
    // `to_lsp` is dropped: tower-lsp sees the end of its input (after `exit` it stops anyway).
    let _ = tokio::time::timeout(DRAIN, server).await;
    let _ = tokio::time::timeout(DRAIN, writer).await;
    session.queue.close();
    session.profiles.close();
    publisher.abort();
    if end == transport::InputEnd::ServerGone {
        eprintln!("heap-audit: the protocol layer stopped unexpectedly");
    }
    if session.is_shut_down() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Entry points for the fuzz targets in `tests/fuzz` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    use super::transport::{validate, Decoded, Decoder};

    /// Feeds `data` to the frame decoder in chunks of `chunk` bytes, validating every frame, as
    /// the server's input pump does. Returns how many frames and bad headers it saw.
    pub fn frames(data: &[u8], chunk: usize) -> (usize, usize) {
        let mut decoder = Decoder::new(1 << 20);
        let (mut frames, mut bad) = (0, 0);
        for piece in data.chunks(chunk.max(1)) {
            decoder.read_buf().extend_from_slice(piece);
            while let Some(item) = decoder.next() {
                match item {
                    Decoded::Frame { body, .. } => {
                        frames += 1;
                        let _ = validate(decoder.bytes(body));
                    }
                    Decoded::BadHeader(_) | Decoded::TooLarge(_) => bad += 1,
                }
            }
        }
        (frames, bad)
    }
}
