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
    // The check itself on real code: findings appear and go away across several incremental
    // steps (edits that reparse), and in several items of the file.
    let base = "fn a(x: u32) -> u32 {\n    x\n}\n\nfn b() {}\n";
    checks::edit_sequence(
        heap_audit::language::Lang::Rust,
        base,
        &[
            (39, 0, " let s = format!(\"{}\", 1); ", true),
            (26, 1, "x + 1", true),
            (0, 0, "use std::fmt;\n", false),
            (58, 25, "", true),
            (0, 0, "fn c() -> String { format!(\"{}\", 2) }\n", true),
            // Same length, same lines: only the tree tells the item changed.
            (19, 16, "(1 + 2 + 3 + 45)", true),
        ],
    );
    checks::edit_sequence(
        heap_audit::language::Lang::Python,
        "def f(x):\n    return x\n",
        &[(21, 1, "x ** 0.5", true), (0, 0, "import math\n", true)],
    );
}

#[test]
fn frames_inputs() {
    replay("frames", checks::frames);
    checks::frames(b"\x03Content-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\n");
}
