//! Fixed TypeScript still type-checks: every TS/TSX fixture, before and after applying all of
//! its fixes (safe and unsafe, until stable), goes through the pinned `tsc --noEmit` (strict).
//! Fixes are applied twice: with only the fixture's rule on, and with every JS rule on (so
//! fixes of different rules meet). The fixtures themselves must be type-correct first.
//!
//! Needs Node.js; installs `tests/js-tools` with `npm ci` when missing.

#[path = "js-tools/harness.rs"]
mod harness;

use std::fs;

use heap_audit::engine::FixMode;
use heap_audit::language::Lang;

#[test]
fn fixed_typescript_fixtures_type_check() {
    let tsc = harness::typescript();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["original", "fixed-one", "fixed-all"] {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
    fs::write(root.join("jsx-env.d.ts"), harness::JSX_ENV).unwrap();
    fs::write(
        root.join("tsconfig.json"),
        r#"{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "bundler",
    "moduleDetection": "force",
    "lib": ["ES2023"],
    "jsx": "react",
    "jsxFactory": "h",
    "skipLibCheck": true,
    "types": []
  },
  "include": ["**/*.ts", "**/*.tsx"]
}
"#,
    )
    .unwrap();
    let all = harness::settings(None);
    let mut applied = 0;
    let mut files = 0;
    for (path, lang, rule) in harness::fixtures() {
        if lang == Lang::JavaScript {
            continue;
        }
        files += 1;
        let name = path.file_name().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let (one, n1) = harness::fixed(
            lang,
            &text,
            &harness::settings(Some(rule)),
            FixMode::SafeAndUnsafe,
        );
        let (every, _) = harness::fixed(lang, &text, &all, FixMode::SafeAndUnsafe);
        applied += n1;
        fs::write(root.join("original").join(name), &text).unwrap();
        fs::write(root.join("fixed-one").join(name), &one).unwrap();
        fs::write(root.join("fixed-all").join(name), &every).unwrap();
    }
    assert!(files >= 10, "expected TS fixtures, found {files}");
    assert!(
        applied >= 10,
        "expected the TS fixtures to exercise fixes, {applied} applied"
    );
    let (ok, out) = harness::run(
        harness::node()
            .arg(&tsc)
            .arg("-p")
            .arg(root.join("tsconfig.json")),
    );
    assert!(
        ok,
        "tsc --noEmit failed (files under original/ are the fixtures as written):\n{out}"
    );
}
