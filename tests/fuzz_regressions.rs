//! Replays the saved fuzz inputs (`tests/fuzz/regressions/<target>/*`) through the fuzz
//! targets' own checks, so a crash once found and fixed stays fixed.

#[path = "fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fuzz/regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep") {
            check(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    n
}

#[test]
fn engine_inputs() {
    replay("engine", checks::engine);
    // The checks themselves run on real code, not only on saved inputs.
    checks::engine(b"\x00fn f(x: u32) -> String { format!(\"{}\", x) }");
    checks::engine(b"\x01def f(x):\n    return x ** 0.5\n");
}

#[test]
fn edits_inputs() {
    replay("edits", checks::edits);
}

#[test]
fn frames_inputs() {
    replay("frames", checks::frames);
    checks::frames(b"\x03Content-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\n");
}
