//! The time each Python rule takes on one file, alone (the others skipped), best of `--repeat`
//! runs, after one parse. For finding rules whose cost grows faster than the file.
//!
//! cargo run --release --example py_rule_cost -- [--repeat N] [--rule ID] FILE...

use std::time::{Duration, Instant};

use heap_audit::engine::{analyze_full, Limits, Settings};
use heap_audit::language::Lang;
use heap_audit::rules::registry;

fn main() {
    let mut repeat = 1;
    let mut only: Option<String> = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            "--rule" => only = args.next(),
            _ => files.push(a),
        }
    }
    let reg = registry();
    let py: Vec<u16> = (0..reg.len() as u16)
        .filter(|&i| reg.rule(i).meta.id.starts_with("py/"))
        .filter(|&i| only.as_deref().is_none_or(|o| reg.rule(i).meta.id == o))
        .collect();
    let settings = Settings::default();
    for path in files {
        let src = std::fs::read_to_string(&path).expect("readable UTF-8 file");
        let t = Instant::now();
        let tree = heap_audit::document::parse_str(Lang::Python, &src, Duration::from_secs(600))
            .expect("parses");
        println!(
            "{path}: {} bytes, parse {:.3}s",
            src.len(),
            t.elapsed().as_secs_f64()
        );
        for &rule in &py {
            let limits = Limits {
                skip: (0..reg.len() as u16).filter(|&i| i != rule).collect(),
                rule_budget: None,
            };
            let mut best = f64::MAX;
            let mut n = 0;
            for _ in 0..repeat {
                let t = Instant::now();
                let a = analyze_full(Lang::Python, &src, &tree, &settings, &limits);
                best = best.min(t.elapsed().as_secs_f64());
                n = a.findings.len();
            }
            println!(
                "  {:<28} {best:>9.3}s  {n} findings",
                reg.rule(rule).meta.id
            );
        }
    }
}
