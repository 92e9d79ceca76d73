//! `heap-audit check --profile`: a real tracemalloc profile (made here by `heap-audit profile
//! python`) ranks the findings in text, JSON and SARIF; stale files and unmapped sites are said;
//! a bad profile is an error naming it while the good one still ranks.

#[path = "support/profiles.rs"]
mod profiles;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use profiles::line_of;

fn check(root: &Path, args: &[&str]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .arg("check")
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    (out, stdout, stderr)
}

fn finding_at<'a>(findings: &'a [Value], rule: &str, line: u32) -> &'a Value {
    findings
        .iter()
        .find(|f| f["rule"] == rule && f["line"] == line)
        .unwrap_or_else(|| panic!("no {rule} at line {line} in {findings:#?}"))
}

#[test]
fn json_findings_carry_the_measured_figures() {
    let (_dir, root) = profiles::workspace();
    profiles::profile_app(&root, &root.join("prof.json"), false);
    let (out, stdout, stderr) = check(&root, &["--profile", "prof.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "a warning remains: {stderr}");
    let findings: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    // Every finding says what was measured, `null` included.
    assert!(
        findings.iter().all(|f| f.get("profile").is_some()),
        "{stdout}"
    );

    // Information at loop depth 0 without a profile; on a line holding 2 MB: a warning.
    let measured = finding_at(&findings, "py/list-membership", line_of("# MEASURED"));
    assert_eq!(measured["severity"], "warning");
    let bytes = measured["profile"]["bytes"].as_u64().unwrap();
    assert!((2_000_000..3_000_000).contains(&bytes), "{bytes}");
    let share = measured["profile"]["share"].as_f64().unwrap();
    assert!((0.05..0.5).contains(&share), "{share}");
    assert!(measured["profile"]["blocks"].as_u64().unwrap() >= 1);
    assert_eq!(measured["profile"]["stale"], false);
    assert!(
        measured["message"]
            .as_str()
            .unwrap()
            .contains("— measured 2.0 MB live in "),
        "{measured}"
    );

    // The same rule in a function that never ran: a hint, cold per profile, no figure.
    let cold = finding_at(&findings, "py/list-membership", line_of("# COLD"));
    assert_eq!(cold["severity"], "hint");
    assert_eq!(cold["profile"], Value::Null);
    assert!(cold["message"]
        .as_str()
        .unwrap()
        .contains("cold per profile (nothing allocated in this function was live"));

    // 10 MB where no rule fires: a hot site, the biggest figure.
    let hot = finding_at(&findings, "profile/hot-site", line_of("# HOT"));
    assert_eq!(hot["severity"], "info");
    let hot_bytes = hot["profile"]["bytes"].as_u64().unwrap();
    assert!((10_000_000..12_000_000).contains(&hot_bytes), "{hot_bytes}");
    assert!(hot["message"]
        .as_str()
        .unwrap()
        .ends_with("— where the bytes go, and no rule explains it"));
    assert!(
        findings
            .iter()
            .all(|f| !(f["rule"] == "profile/hot-site" && f["line"] == line_of("# ALT"))),
        "the alternative line did not run"
    );

    // The summary goes to stderr, leaving stdout to the JSON; the helper's bytes are listed.
    assert!(
        stderr.contains("Not mapped to a workspace line"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lib/helper.py:2) — no such file in the workspace"),
        "{stderr}"
    );

    // Without --profile the output has no `profile` key at all.
    let (_, plain, _) = check(&root, &["--format", "json"]);
    let plain: Vec<Value> = serde_json::from_str(&plain).unwrap();
    assert!(plain.iter().all(|f| f.get("profile").is_none()));
    assert_eq!(
        finding_at(&plain, "py/list-membership", line_of("# MEASURED"))["severity"],
        "info"
    );
}

#[test]
fn text_is_ranked_by_measured_bytes_and_the_summary_lists_what_did_not_map() {
    let (_dir, root) = profiles::workspace();
    profiles::profile_app(&root, &root.join("prof.json"), false);
    let (_, stdout, _) = check(&root, &["--profile", "prof.json"]);
    let heads: Vec<(u32, &str)> = stdout
        .lines()
        .filter(|l| l.starts_with("app.py:"))
        .map(|l| {
            let line = l.split(':').nth(1).unwrap().parse().unwrap();
            let rule = &l[l.find('[').unwrap() + 1..l.find(']').unwrap()];
            (line, rule)
        })
        .collect();
    // Biggest first: the 10 MB hot site, the 2 MB finding, the helper's bytes credited to the
    // call (a hot site too); then the finding without data.
    assert_eq!(
        heads,
        [
            (line_of("# HOT"), "profile/hot-site"),
            (line_of("# MEASURED"), "py/list-membership"),
            (line_of("KEPT = helper.make()"), "profile/hot-site"),
            (line_of("# COLD"), "py/list-membership"),
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("— measured 2.0 MB live in "),
        "the figure is shown: {stdout}"
    );
    let summary = &stdout[stdout.find("Profiles:\n").expect("a profile summary")..];
    assert!(
        summary.contains("prof.json (Python tracemalloc): "),
        "{summary}"
    );
    assert!(
        summary.contains("1 finding on measured lines; 2 hot sites no rule explains"),
        "{summary}"
    );
    let unmapped = &summary[summary.find("Not mapped to a workspace line").unwrap()..];
    assert!(
        unmapped.contains("lib/helper.py:2) — no such file in the workspace;")
            && unmapped.contains(&format!(
                "credited to app.py:{}",
                line_of("KEPT = helper.make()")
            )),
        "{unmapped}"
    );
    assert!(unmapped.contains("(no user frame)"), "{unmapped}");
    assert!(summary.contains("Found 4 findings"), "{summary}");

    // -q: the findings only.
    let (_, quiet, _) = check(&root, &["--profile", "prof.json", "-q"]);
    assert!(!quiet.contains("Profiles:") && quiet.starts_with("app.py:"));
}

#[test]
fn sarif_results_carry_the_figures_in_their_properties() {
    let (_dir, root) = profiles::workspace();
    profiles::profile_app(&root, &root.join("prof.json"), false);
    let (_, stdout, _) = check(&root, &["--profile", "prof.json", "--format", "sarif"]);
    let log: Value = serde_json::from_str(&stdout).unwrap();
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(&log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    let at = |rule: &str, line: u32| {
        results
            .iter()
            .find(|r| {
                r["ruleId"] == rule
                    && r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
            })
            .unwrap_or_else(|| panic!("{rule}:{line} in {results:#?}"))
    };
    let measured = at("py/list-membership", line_of("# MEASURED"));
    assert_eq!(measured["level"], "warning");
    let p = &measured["properties"]["profile"];
    assert!(
        (2_000_000..3_000_000).contains(&p["bytes"].as_u64().unwrap()),
        "{p}"
    );
    assert!(p["share"].as_f64().unwrap() > 0.0);
    assert_eq!(at("profile/hot-site", line_of("# HOT"))["level"], "note");
    assert!(at("py/list-membership", line_of("# COLD"))["properties"]
        .get("profile")
        .is_none());
    // The rule is described like every other, and unmapped sites are notifications.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let hot_site = rules
        .iter()
        .find(|r| r["id"] == "profile/hot-site")
        .unwrap();
    assert!(hot_site["helpUri"]
        .as_str()
        .unwrap()
        .ends_with("general.md#profilehot-site"));
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["level"] == "note"
            && n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("lib/helper.py:2: ")),
        "{notes:#?}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn stale_files_are_noted_and_a_bad_profile_is_named() {
    let (_dir, root) = profiles::workspace();
    profiles::profile_app(&root, &root.join("prof.json"), false);
    // The source changes after the profile was taken.
    let app = std::fs::File::options()
        .append(true)
        .open(root.join("app.py"))
        .unwrap();
    app.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(app);
    std::fs::write(
        root.join("cut.json"),
        r#"{"format": "heap-audit-tracemalloc", "vers"#,
    )
    .unwrap();

    let (out, stdout, stderr) = check(&root, &["--profile", "cut.json", "--profile", "prof.json"]);
    assert_eq!(out.status.code(), Some(2), "a profile could not be read");
    assert!(
        stderr
            .contains("error: cut.json: truncated Python tracemalloc profile: the JSON ends early"),
        "{stderr}"
    );
    assert!(stderr.contains("; ranking without it"), "{stderr}");
    assert!(
        stdout.contains("warning: profile older than file: app.py"),
        "{stdout}"
    );
    assert!(
        stdout.contains("profile older than file: lines may have moved"),
        "the messages say it too: {stdout}"
    );
    let (_, json, _) = check(&root, &["--profile", "prof.json", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_str(&json).unwrap();
    let measured = finding_at(&findings, "py/list-membership", line_of("# MEASURED"));
    assert_eq!(measured["profile"]["stale"], true);
}
