//! A tiny program with one known hot allocation site, profiled with the `dhat` crate by
//! `tests/profile_real.rs`. The hot line is marked `HOT`; keep the markers when editing.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// 1000 copies of a 2048-byte string: about 2 MB in 1000 blocks, all on the HOT line.
fn copies(template: &str, n: usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let copy = format!("{}", template); // HOT
        total += copy.len();
    }
    total
}

/// A colder site: 1000 small vectors of 16 bytes each.
fn small(n: usize) -> usize {
    let mut total = 0;
    for i in 0..n {
        let v: Vec<u32> = vec![i as u32; 4]; // WARM
        total += v.len();
    }
    total
}

/// Never called: covered by the profile (same file) but cold.
#[allow(dead_code)]
fn never_called(x: u32) -> String {
    format!("{}", x) // COLD
}

fn main() {
    // `dhat-demo OUT` profiles with the dhat crate; `dhat-demo --no-dhat` leaves the profiling
    // to valgrind's DHAT (`dhat::Alloc` then only forwards to the system allocator).
    let out = std::env::args().nth(1).unwrap_or_else(|| "dhat-heap.json".to_owned());
    // dhat keeps 10 frames by default: too few to reach `copies` through `format!` in a
    // debug build.
    let _profiler = (out != "--no-dhat")
        .then(|| dhat::Profiler::builder().file_name(out).trim_backtraces(Some(100)).build());
    let template = "x".repeat(2048);
    let a = copies(&template, 1000);
    let b = small(1000);
    println!("{a} {b}");
}
