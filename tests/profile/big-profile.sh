#!/usr/bin/env bash
# Must-show 3, the 200 MB case: generates a ~200 MB profile of each format (DHAT, V8, Python
# tracemalloc JSON) over a small generated workspace, runs `heap-audit profile summary` on it
# under `/usr/bin/time -v`, and prints peak RSS against the file size. The reader streams the
# file into typed structs; the target is a peak RSS under 2x the file size.
#
# Usage: tests/profile/big-profile.sh [SIZE_MB] [FORMAT...]   (default: 200, all formats)
# Uses target/debug/heap-audit (built if missing) unless HEAP_AUDIT is set.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
size_mb="${1:-200}"
shift || true
formats=("$@")
[ ${#formats[@]} -eq 0 ] && formats=(dhat v8 python)

bin="${HEAP_AUDIT:-$repo/target/debug/heap-audit}"
if [ ! -x "$bin" ]; then
  (cd "$repo" && cargo build --quiet --bin heap-audit)
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ws="$work/ws"

python3 - "$ws" "$work" "$size_mb" "${formats[@]}" <<'PY'
import json, os, random, sys

ws, work, size_mb, formats = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
target = size_mb * 1000 * 1000
MODULES = 100
random.seed(7)

# The workspace: a crate `app` with 100 modules, and the same modules in JS and Python.
os.makedirs(f"{ws}/src", exist_ok=True)
with open(f"{ws}/Cargo.toml", "w") as f:
    f.write('[package]\nname = "app"\nversion = "0.1.0"\n')
for m in range(MODULES):
    with open(f"{ws}/src/module_{m}.rs", "w") as f:
        for j in range(40):
            f.write(f"pub fn func_{j}(n: usize) -> Vec<String> {{\n")
            f.write("    (0..n).map(|i| format!(\"{}\", i)).collect()\n}\n")
    with open(f"{ws}/src/module_{m}.js", "w") as f:
        for j in range(40):
            f.write(f"function func_{j}(n) {{\n  return Array.from({{ length: n }}, (_, i) => 'x' + i);\n}}\n")
    with open(f"{ws}/src/module_{m}.py", "w") as f:
        for j in range(40):
            f.write(f"def func_{j}(n):\n    return [str(i) for i in range(n)]\n\n")

def user_frame(rng):
    m = rng.randrange(MODULES)
    j = rng.randrange(40)
    return m, j, j * 3 + 2

# Each format: a few MB of random records, written again and again up to the target size,
# with the frames shifted on each pass so that stacks stay distinct (as they are in real
# profiles: the readers share common stack prefixes, so repeated stacks would cost nothing).
CHUNK = 4_000_000

def dhat(path):
    # Pretty-printed like the dhat crate writes it (one value per line).
    rng = random.Random(1)
    lib = ["0x{:x}: <alloc::alloc::Global as core::alloc::Allocator>::allocate (alloc/src/alloc.rs:241:9)",
           "0x{:x}: alloc::raw_vec::RawVecInner<A>::try_allocate_in (src/raw_vec/mod.rs:476:41)",
           "0x{:x}: alloc::fmt::format::format_inner (alloc/src/fmt.rs:642:16)"]
    ftbl = ["[root]"] + [s.format(0x1000 + k) for k, s in enumerate(lib)]
    n_user = max(1000, target // 700)
    for k in range(n_user):
        m, j, line = user_frame(rng)
        ftbl.append(f"0x{0x55d5c3a00000 + k:x}: app::module_{m}::func_{j} (src/module_{m}.rs:{line}:{rng.randrange(1, 60)})")
    ftbl_text = ",\n".join(json.dumps(s) for s in ftbl)
    pps = []
    size = 0
    while size < CHUNK:
        users = [rng.randrange(n_user) for _ in range(rng.randrange(4, 16))]
        pps.append((rng.randrange(8, 100_000), rng.randrange(1, 100), 1 + rng.randrange(3), users))
        size += 110 + 8 * len(users)
    budget = target - len(ftbl_text) - 1000
    with open(path, "w") as f:
        f.write('{\n"dhatFileVersion": 2,\n"mode": "rust-heap",\n"verb": "Allocated",\n"bklt": true,\n'
                '"bkacc": false,\n"tu": "us",\n"Mtu": "s",\n"tuth": 10,\n"cmd": "app",\n"pid": 1,\n'
                '"tg": 1,\n"te": 2,\n"pps": [\n')
        written = 0
        r = 0
        sep = ""
        while written < budget:
            shift = r * 7919
            for tb, tbk, libf, users in pps:
                fs = ",\n".join([str(libf)] + [str(4 + (u + shift) % n_user) for u in users])
                pp = sep + '{\n"tb": %d,\n"tbk": %d,\n"tl": 5,\n"mb": 64,\n"mbk": 1,\n"gb": 0,\n"gbk": 0,\n"eb": 0,\n"ebk": 0,\n"fs": [\n%s\n]\n}' % (tb, tbk, fs)
                f.write(pp)
                written += len(pp)
                sep = ",\n"
                if written >= budget:
                    break
            r += 1
        f.write('\n],\n"ftbl":\n[\n')
        f.write(ftbl_text)
        f.write("\n]\n}\n")

def repeat(f, chunk, budget, sep):
    written = 0
    first = True
    while written + len(chunk) < budget:
        if not first:
            f.write(sep)
        f.write(chunk)
        written += len(chunk) + len(sep)
        first = False

def v8(path):
    rng = random.Random(2)
    # One subtree of the root: a random walk up to 60 deep that closes again.
    parts = []
    size = 0
    depth = 0
    nid = 0
    need_comma = False
    while size < CHUNK or depth > 0:
        go_down = depth == 0 or (size < CHUNK and depth < 60 and rng.random() < 0.55)
        if go_down:
            nid += 1
            m, j, line = user_frame(rng)
            node = ('{"callFrame":{"functionName":"func_%d","scriptId":"%d","url":"file:///srv/app/src/module_%d.js","lineNumber":%d,"columnNumber":15},"selfSize":%d,"id":%d,"children":['
                    % (j, 10 + m, m, j * 3, rng.randrange(0, 50_000), nid))
            parts.append(("," if need_comma else "") + node)
            size += len(parts[-1])
            depth += 1
            need_comma = False
        else:
            parts.append("]}")
            size += 2
            depth -= 1
            need_comma = True
            if depth == 0 and size >= CHUNK:
                break
    chunk = "".join(parts)
    with open(path, "w") as f:
        f.write('{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":0,"children":[')
        repeat(f, chunk, target - 1000, ",")
        f.write(']},"samples":[]}\n')

def python(path):
    rng = random.Random(3)
    stats = []
    size = 0
    while size < CHUNK:
        frames = [user_frame(rng) for _ in range(rng.randrange(3, 25))]
        stats.append((rng.randrange(8, 100000), rng.randrange(1, 50), frames))
        size += 40 + 50 * len(frames)
    budget = target - 1000
    with open(path, "w") as f:
        f.write('{"format": "heap-audit-tracemalloc", "version": 1, "python": "3.11.7", "library_prefixes": ["/usr/lib/python3.11"], "stats": [')
        written = 0
        r = 0
        sep = ""
        while written < budget:
            for size_, count, frames in stats:
                fr = ", ".join('{"file": "/home/ci/app/src/module_%d.py", "line": %d}'
                               % ((m + r) % MODULES, ((j + r // MODULES) % 40) * 3 + 2) for m, j, _ in frames)
                stat = sep + '{"size": %d, "count": %d, "frames": [%s]}' % (size_, count, fr)
                f.write(stat)
                written += len(stat)
                sep = ", "
                if written >= budget:
                    break
            r += 1
        f.write("]}\n")

for fmt in formats:
    {"dhat": dhat, "v8": v8, "python": python}[fmt](f"{work}/big.{fmt}.json")
PY

status=0
for fmt in "${formats[@]}"; do
  file="$work/big.$fmt.json"
  bytes=$(stat -c %s "$file")
  /usr/bin/time -v "$bin" profile summary "$file" --root "$ws" -n 5 >"$work/out.txt" 2>"$work/time.txt" || {
    echo "$fmt: heap-audit failed:" >&2; cat "$work/time.txt" >&2; status=1; continue; }
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  ratio=$(awk -v r="$rss_kb" -v b="$bytes" 'BEGIN { printf "%.2f", r * 1024 / b }')
  verdict=$(awk -v x="$ratio" 'BEGIN { print (x < 2.0) ? "OK (< 2x)" : "OVER 2x" }')
  printf '%-7s file %7.1f MB  peak RSS %7.1f MB  ratio %s  wall %s  %s\n' \
    "$fmt" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$(awk -v r="$rss_kb" 'BEGIN{print r*1024/1e6}')" "$ratio" "$wall" "$verdict"
  sed -n '1,6p' "$work/out.txt" | sed 's/^/        | /'
  [ "$verdict" = "OK (< 2x)" ] || status=1
done
exit $status
