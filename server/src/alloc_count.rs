//! A counting global allocator, only with the `count-allocs` feature (benchmarks, never
//! releases). It counts every allocation and reallocation made through Rust's allocator, so the
//! benchmark can read how many the server makes per edit (`heap-audit/allocations` request).
//! Tree-sitter's C code allocates through libc directly; on glibc, [`count_tree_sitter`] routes it
//! through counting functions too, so its live bytes show beside Rust's, and [`malloc_stats`]
//! tells memory in use from memory glibc holds free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated through Rust's allocator and not yet freed.
pub fn live() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

/// Bytes tree-sitter's C code holds (usable sizes), once [`count_tree_sitter`] is installed.
pub fn live_c() -> u64 {
    LIVE_C.load(Ordering::Relaxed)
}

static LIVE_C: AtomicU64 = AtomicU64::new(0);

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod c_counting {
    use super::LIVE_C;
    use std::ffi::c_void;
    use std::sync::atomic::Ordering;

    fn usable(ptr: *mut c_void) -> u64 {
        if ptr.is_null() {
            return 0;
        }
        // SAFETY: `ptr` is a live block from libc's malloc family.
        unsafe { libc::malloc_usable_size(ptr) as u64 }
    }

    pub(super) unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
        // SAFETY: plain libc malloc.
        let p = unsafe { libc::malloc(size) };
        LIVE_C.fetch_add(usable(p), Ordering::Relaxed);
        p
    }

    pub(super) unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
        // SAFETY: plain libc calloc.
        let p = unsafe { libc::calloc(n, size) };
        LIVE_C.fetch_add(usable(p), Ordering::Relaxed);
        p
    }

    pub(super) unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        let before = usable(ptr);
        // SAFETY: `ptr` is null or came from these functions, i.e. from libc.
        let p = unsafe { libc::realloc(ptr, size) };
        if !p.is_null() || size == 0 {
            LIVE_C.fetch_sub(before, Ordering::Relaxed);
            LIVE_C.fetch_add(usable(p), Ordering::Relaxed);
        }
        p
    }

    pub(super) unsafe extern "C" fn free(ptr: *mut c_void) {
        LIVE_C.fetch_sub(usable(ptr), Ordering::Relaxed);
        // SAFETY: `ptr` is null or came from these functions, i.e. from libc.
        unsafe { libc::free(ptr) }
    }
}

/// Routes tree-sitter's C allocations through counters (glibc only; elsewhere a no-op). Call it
/// once, first thing, before any tree-sitter object exists.
pub fn count_tree_sitter() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: the four functions are libc's malloc family with counters added; this runs before
    // the server creates any parser, tree or query, on the main thread.
    unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: c_counting::malloc,
            calloc: c_counting::calloc,
            realloc: c_counting::realloc,
            free: c_counting::free,
        }));
    }
}

/// glibc's own account (`mallinfo2`), summed over its arenas: bytes in use and bytes held free,
/// in the heap (`brk`/arenas) and in separately mapped blocks.
pub fn malloc_stats() -> serde_json::Value {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        let m = unsafe { libc::mallinfo2() };
        serde_json::json!({
            "heap": m.arena,
            "in_use": m.uordblks,
            "free": m.fordblks,
            "top_free": m.keepcost,
            "mapped": m.hblkhd,
            "mapped_blocks": m.hblks,
        })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    serde_json::Value::Null
}

/// Allocations (and reallocations) so far, and the bytes they asked for, process-wide.
pub fn counts() -> (u64, u64) {
    (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_grow_with_allocations() {
        let (before, _) = super::counts();
        let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(16));
        let (after, _) = super::counts();
        assert!(after > before);
        drop(v);
    }
}
