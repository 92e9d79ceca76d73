//! Unified diffs for `check --diff`: line by line, with Myers' O(ND) algorithm.
//!
//! Fixes change few lines, so after trimming the common head and tail the edit distance `D` is
//! small. Past [`MAX_EDIT_DISTANCE`] the differing middle is shown as one replaced block: still
//! a correct diff (applying it gives the new text), only not a minimal one, and time and memory
//! stay bounded on a rewrite of a huge file.

use std::fmt::Write as _;

/// Lines of context around each change, as `diff -u` and git show.
const CONTEXT: usize = 3;
const MAX_EDIT_DISTANCE: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

/// One line of the edit script. `old`/`new` are 0-based line indices; for an insertion `old` is
/// the old line it goes before, for a deletion `new` is the new line it would have preceded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    op: Op,
    old: usize,
    new: usize,
}

/// The unified diff turning `old` into `new`, with `--- old_name` / `+++ new_name` headers;
/// empty when the texts are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let steps = diff_lines(&a, &b);
    render(&a, &b, &steps, old_name, new_name)
}

fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Step> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut steps = Vec::with_capacity(a.len().max(b.len()) + 1);
    steps.extend((0..prefix).map(|i| Step {
        op: Op::Equal,
        old: i,
        new: i,
    }));
    match myers(am, bm, MAX_EDIT_DISTANCE) {
        Some(middle) => steps.extend(middle.into_iter().map(|s| Step {
            op: s.op,
            old: s.old + prefix,
            new: s.new + prefix,
        })),
        None => {
            steps.extend((0..am.len()).map(|i| Step {
                op: Op::Delete,
                old: prefix + i,
                new: prefix,
            }));
            steps.extend((0..bm.len()).map(|j| Step {
                op: Op::Insert,
                old: prefix + am.len(),
                new: prefix + j,
            }));
        }
    }
    let (a_tail, b_tail) = (a.len() - suffix, b.len() - suffix);
    steps.extend((0..suffix).map(|i| Step {
        op: Op::Equal,
        old: a_tail + i,
        new: b_tail + i,
    }));
    steps
}

/// Myers' greedy forward search, keeping each round's diagonals to backtrack. `None` when the
/// edit distance exceeds `max_d`.
fn myers(a: &[&str], b: &[&str], max_d: usize) -> Option<Vec<Step>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    // trace[d] = the furthest x on each diagonal k in -d..=d after round d (index k + d).
    let mut trace: Vec<Vec<isize>> = Vec::new();
    for d in 0..=max.min(max_d) as isize {
        for k in (-d..=d).step_by(2) {
            let i = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[i - 1] < v[i + 1]) {
                v[i + 1]
            } else {
                v[i - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[i] = x;
            if x >= n && y >= m {
                trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
                return Some(backtrack(&trace, n, m));
            }
        }
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
    }
    None
}

fn backtrack(trace: &[Vec<isize>], n: isize, m: isize) -> Vec<Step> {
    let mut steps = Vec::new();
    let (mut x, mut y) = (n, m);
    let equal = |steps: &mut Vec<Step>, x: isize, y: isize| {
        steps.push(Step {
            op: Op::Equal,
            old: x as usize,
            new: y as usize,
        })
    };
    for d in (1..trace.len() as isize).rev() {
        let prev = &trace[(d - 1) as usize];
        let at = |k: isize| prev[(k + d - 1) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            equal(&mut steps, x, y);
        }
        if prev_k == k + 1 {
            steps.push(Step {
                op: Op::Insert,
                old: x as usize,
                new: (y - 1) as usize,
            });
        } else {
            steps.push(Step {
                op: Op::Delete,
                old: (x - 1) as usize,
                new: y as usize,
            });
        }
        x = prev_x;
        y = prev_y;
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        equal(&mut steps, x, y);
    }
    steps.reverse();
    steps
}

fn range(start: usize, len: usize) -> String {
    if len == 1 {
        start.to_string()
    } else {
        format!("{start},{len}")
    }
}

fn push_line(out: &mut String, prefix: char, line: &str) {
    out.push(prefix);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

fn render(a: &[&str], b: &[&str], steps: &[Step], old_name: &str, new_name: &str) -> String {
    let changes: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].op != Op::Equal)
        .collect();
    if changes.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
    let mut c = 0;
    while c < changes.len() {
        let mut last = c;
        while last + 1 < changes.len() && changes[last + 1] - changes[last] - 1 <= 2 * CONTEXT {
            last += 1;
        }
        let hunk = &steps
            [changes[c].saturating_sub(CONTEXT)..=(changes[last] + CONTEXT).min(steps.len() - 1)];
        let old_len = hunk.iter().filter(|s| s.op != Op::Insert).count();
        let new_len = hunk.iter().filter(|s| s.op != Op::Delete).count();
        // 1-based first line; for an empty side, the line before the change (0 at the top).
        let old_start = hunk
            .iter()
            .find(|s| s.op != Op::Insert)
            .map_or(hunk[0].old, |s| s.old + 1);
        let new_start = hunk
            .iter()
            .find(|s| s.op != Op::Delete)
            .map_or(hunk[0].new, |s| s.new + 1);
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(old_start, old_len),
            range(new_start, new_len)
        );
        for s in hunk {
            match s.op {
                Op::Equal => push_line(&mut out, ' ', a[s.old]),
                Op::Delete => push_line(&mut out, '-', a[s.old]),
                Op::Insert => push_line(&mut out, '+', b[s.new]),
            }
        }
        c = last + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Applies a unified diff produced by [`unified`] to `old` (a minimal `patch`).
    fn apply(old: &str, diff: &str) -> String {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut next_old = 0; // 0-based index of the next old line not yet copied
        let mut lines = diff.split_inclusive('\n').skip(2).peekable();
        while let Some(header) = lines.next() {
            assert!(
                header.starts_with("@@ -"),
                "hunk header expected, got {header:?}"
            );
            let old_range = header[4..].split(' ').next().unwrap();
            let mut parts = old_range.split(',');
            let start: usize = parts.next().unwrap().parse().unwrap();
            let len: usize = parts.next().map_or(1, |l| l.parse().unwrap());
            let first = if len == 0 { start } else { start - 1 };
            assert!(first >= next_old, "hunks out of order");
            for l in &old_lines[next_old..first] {
                out.push_str(l);
            }
            next_old = first;
            while let Some(line) = lines.peek() {
                if line.starts_with("@@") {
                    break;
                }
                let line = lines.next().unwrap();
                let no_newline = lines.peek().is_some_and(|l| l.starts_with('\\'));
                if no_newline {
                    lines.next();
                }
                let body = &line[1..];
                let body = if no_newline {
                    body.strip_suffix('\n').unwrap()
                } else {
                    body
                };
                match line.as_bytes()[0] {
                    b' ' => {
                        assert_eq!(old_lines[next_old], body, "context mismatch");
                        out.push_str(body);
                        next_old += 1;
                    }
                    b'-' => {
                        assert_eq!(old_lines[next_old], body, "deleted line mismatch");
                        next_old += 1;
                    }
                    b'+' => out.push_str(body),
                    _ => panic!("bad diff line {line:?}"),
                }
            }
        }
        for l in &old_lines[next_old..] {
            out.push_str(l);
        }
        out
    }

    #[test]
    fn a_one_line_change_has_context_and_git_style_header() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let d = unified(old, new, "a/x.rs", "b/x.rs");
        assert_eq!(
            d,
            "--- a/x.rs\n+++ b/x.rs\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
        assert_eq!(apply(old, &d), new);
    }

    #[test]
    fn equal_texts_give_no_diff() {
        assert_eq!(unified("x\n", "x\n", "a", "b"), "");
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let d = unified("a\nb", "a\nc", "a", "b");
        assert_eq!(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
        assert_eq!(apply("a\nb", &d), "a\nc");
    }

    #[test]
    fn distant_changes_make_separate_hunks_and_empty_sides_use_the_line_before() {
        let old: String = (0..30).map(|i| format!("{i}\n")).collect();
        let new: String = (0..30)
            .filter(|&i| i != 25)
            .map(|i| {
                if i == 2 {
                    "two\n".to_owned()
                } else {
                    format!("{i}\n")
                }
            })
            .collect();
        let d = unified(&old, &new, "a", "b");
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert_eq!(apply(&old, &d), new);
        let d = unified("", "x\n", "a", "b");
        assert_eq!(d, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
    }

    #[test]
    fn beyond_the_edit_limit_the_middle_is_replaced_whole() {
        let a: Vec<&str> = vec!["x\n"; 5];
        let b: Vec<&str> = vec!["y\n"; 5];
        assert!(myers(&a, &b, 3).is_none());
        let old = "head\n".to_owned() + &"x\n".repeat(3000) + "tail\n";
        let new = "head\n".to_owned() + &"y\n".repeat(3000) + "tail\n";
        let d = unified(&old, &new, "a", "b");
        assert_eq!(apply(&old, &d), new);
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_the_new_text(
            old in proptest::collection::vec(0u8..4, 0..40),
            new in proptest::collection::vec(0u8..4, 0..40),
            trailing in any::<bool>(),
        ) {
            let to_text = |v: &[u8]| {
                let mut s: String = v.iter().map(|c| format!("l{c}\n")).collect();
                if !trailing && !s.is_empty() {
                    s.pop();
                }
                s
            };
            let (old, new) = (to_text(&old), to_text(&new));
            let d = unified(&old, &new, "a", "b");
            prop_assert_eq!(apply(&old, &d), new.clone());
            // Myers finds a shortest edit script: n + m - 2 * LCS changed lines.
            let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
            let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
            for i in (0..a.len()).rev() {
                for j in (0..b.len()).rev() {
                    lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
                }
            }
            let changed = d.lines().skip(2).filter(|l| l.starts_with(['+', '-'])).count();
            let shortest = a.len() + b.len() - 2 * lcs[0][0];
            // A changed last line without its newline counts once more when only the newline differs.
            prop_assert!(changed >= shortest && changed <= shortest + 2, "{changed} vs {shortest}\n{d}");
        }
    }
}
