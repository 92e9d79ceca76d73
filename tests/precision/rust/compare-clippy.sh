#!/usr/bin/env bash
# Compares heap-audit's Rust findings with clippy's on the overlapping lints, as reported in
# tests/precision/rust/clippy.md:
#
#   clippy::ptr_arg          ~ rust/owned-ref-param
#   clippy::box_collection   ~ rust/box-collection
#   clippy::useless_format   ~ rust/format-literal
#   clippy::needless_collect ~ rust/collect-then-iterate
#   clippy::assigning_clones ~ rust/assign-clone
#
# Sample: clippy-sample/ (everyday code for the five lints), a copy of tests/rust-fixes/
# (without its `allow(clippy::all)`) and registry crates that build offline once their
# dev-dependencies are dropped. clippy checks the library
# target (`--lib`); heap-audit reads the same crates' `src/` folders.
#
# Usage: tests/precision/rust/compare-clippy.sh [work-dir]   (needs cargo, clippy, python3)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../../.." && pwd)
work=${1:-$(mktemp -d)}
registry=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -1)
crates=(
    regex-syntax-0.8.12 globset-0.4.22 ignore-0.4.35 toml_parser-1.1.6+spec-1.1.0 bstr-1.14.0
    ropey-1.6.1 fancy-regex-0.16.2 base64-0.22.1 proc-macro2-1.0.107 url-2.5.8
    toml_edit-0.25.20+spec-1.1.0 regex-automata-0.4.19 wasmparser-0.227.1 serde_json-1.0.154
    wit-bindgen-rust-0.41.0 cc-1.11.3
)
lints=(-A clippy::all -W clippy::ptr_arg -W clippy::box_collection -W clippy::useless_format
       -W clippy::needless_collect -W clippy::assigning_clones)

mkdir -p "$work/crates"
rm -rf "$work/crates/clippy-sample" "$work/clippy-sample.clippy.json"
cp -r "$repo/tests/precision/rust/clippy-sample" "$work/crates/clippy-sample"
rm -rf "$work/crates/clippy-sample/target"
rm -rf "$work/crates/rust-fixes" "$work/rust-fixes.clippy.json"
cp -r "$repo/tests/rust-fixes" "$work/crates/rust-fixes"
rm -rf "$work/crates/rust-fixes/target"
sed -i 's/, clippy::all)\]/)]/' "$work/crates/rust-fixes/src/lib.rs"
for c in "${crates[@]}"; do
    if [ -d "$registry/$c" ] && [ ! -d "$work/crates/$c" ]; then
        cp -r "$registry/$c" "$work/crates/$c"
        # Drop dev-dependencies and non-library targets: only the library is checked, and the
        # offline registry lacks many dev-dependencies.
        python3 - "$work/crates/$c/Cargo.toml" <<'EOF'
import sys
path = sys.argv[1]
out, skip = [], False
for line in open(path).read().split("\n"):
    if line.startswith("["):
        h = line.strip()
        skip = "dev-dependencies" in h or h.startswith(("[[bench", "[[test", "[[example", "[[bin"))
    if not skip:
        out.append(line)
open(path, "w").write("\n".join(out))
EOF
        rm -f "$work/crates/$c/Cargo.lock"
    fi
done

for dir in "$work"/crates/*/; do
    name=$(basename "$dir")
    if [ ! -s "$work/$name.clippy.json" ]; then
        (cd "$dir" && CARGO_TARGET_DIR="$work/target" cargo clippy --offline --lib \
            --message-format=json -- "${lints[@]}" > "$work/$name.clippy.json" 2> "$work/$name.clippy.err") \
            || echo "clippy failed on $name (see $work/$name.clippy.err)" >&2
    fi
done

(cd "$repo/server" && HEAP_AUDIT_SCAN="$work/crates" cargo test -q --test rust_precision scan -- --nocapture) \
    | grep '^rust/' > "$work/heap-audit.tsv" || true

python3 - "$work" <<'EOF'
import collections, glob, json, os, sys

work = sys.argv[1]
pairs = {
    "clippy::ptr_arg": "rust/owned-ref-param",
    "clippy::box_collection": "rust/box-collection",
    "clippy::useless_format": "rust/format-literal",
    "clippy::needless_collect": "rust/collect-then-iterate",
    "clippy::assigning_clones": "rust/assign-clone",
}
ours = collections.defaultdict(list)  # (rule, file) -> [(start, end, text)]
for line in open(os.path.join(work, "heap-audit.tsv")):
    f = line.rstrip("\n").split("\t")
    rule, path, start, end, text = f[0], f[1], int(f[2]), int(f[3]), f[-1]
    if "/src/" not in "/" + path:
        continue
    ours[(rule, path)].append((start, end, text))

clippy = []
for jf in sorted(glob.glob(os.path.join(work, "*.clippy.json"))):
    crate = os.path.basename(jf)[: -len(".clippy.json")]
    for line in open(jf):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") != "compiler-message":
            continue
        code = (m["message"].get("code") or {}).get("code")
        if code not in pairs:
            continue
        span = next(s for s in m["message"]["spans"] if s["is_primary"])
        clippy.append((code, f"{crate}/{span['file_name']}", span["line_start"], span["line_end"]))

print("## clippy findings and whether heap-audit reports them\n")
matched = collections.defaultdict(set)
per = collections.Counter()
hit = collections.Counter()
for code, path, ls, le in clippy:
    rule = pairs[code]
    per[code] += 1
    found = [o for o in ours[(rule, path)] if o[0] <= le and ls <= o[1]]
    for o in found:
        matched[(rule, path)].add(o)
    hit[code] += bool(found)
    print(f"- {code} {path}:{ls} -> {'found' if found else 'MISSED'}")
print("\n## heap-audit findings clippy does not report\n")
beyond = collections.Counter()
total = collections.Counter()
for (rule, path), items in sorted(ours.items()):
    if rule not in pairs.values():
        continue
    for o in items:
        total[rule] += 1
        if o not in matched[(rule, path)]:
            beyond[rule] += 1
            print(f"- {rule} {path}:{o[0]}  {o[2][:90]}")
print("\n## Summary\n")
print("| clippy lint | heap-audit rule | clippy findings | also found by heap-audit | recall | heap-audit findings | beyond clippy |")
print("|---|---|---:|---:|---:|---:|---:|")
for code, rule in pairs.items():
    n, h = per[code], hit[code]
    recall = f"{100 * h / n:.0f}%" if n else "-"
    print(f"| `{code}` | `{rule}` | {n} | {h} | {recall} | {total[rule]} | {beyond[rule]} |")
EOF
