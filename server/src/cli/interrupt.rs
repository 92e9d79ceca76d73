//! Ctrl-C (SIGINT) and SIGTERM during `check --fix`.
//!
//! Every write is already atomic (a temporary file renamed over the original), so even a kill
//! leaves each file either as it was or fully fixed. The handler adds a clean stop: on the first
//! signal, no new file is started and no new write begins, the write under way finishes (or its
//! temporary file is removed), and the run reports what it did and exits 130. The handler is
//! one-shot: a second Ctrl-C ends the process at once, which is still safe for the same reason.
//!
//! Why a hand-written handler: it only sets an atomic flag (async-signal-safe), a dozen lines
//! over `libc`, which the dependency tree already has; a crate would add nothing but weight.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: nothing here may allocate, lock or print.
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Catches the first SIGINT and SIGTERM (later ones get the default action). Returns whether the
/// handler is in place.
pub fn install() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: `sigaction` is given a zeroed (valid) struct with an empty mask, and a handler
        // that only stores to an atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            let int = libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
            let term = libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
            int == 0 && term == 0
        }
    }
    #[cfg(not(unix))]
    false
}

/// Whether the process `pid` may still be running (so its temporary files are not stale).
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive_processes_are_told_from_dead_ones() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid), "a reaped child is gone");
    }
}
