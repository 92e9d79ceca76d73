#!/usr/bin/env bash
# Reproduces every figure of the README's Performance section.
#
#   bash tests/bench/run.sh corpora      fetch the corpora from the package registries (once)
#   bash tests/bench/run.sh peers        install ruff, ast-grep and Biome into tests/bench/peers (once)
#   bash tests/bench/run.sh build        release builds: the server and the bench binaries
#   bash tests/bench/run.sh throughput   (a) check lines/s, 1 thread and all threads, vs parse-only
#   bash tests/bench/run.sh latency      (b) edit-to-diagnostics p50/p99, 1k and 10k lines per language
#   bash tests/bench/run.sh rss          (c) peak RSS with 50 open 10k-line documents
#   bash tests/bench/run.sh allocs       (d) the server's heap allocations per edit, 1k and 10k lines
#   bash tests/bench/run.sh peers-lint   (e) ruff, ast-grep and Biome on the same corpora, in the same run
#   bash tests/bench/run.sh ruff-latency (e) ruff server's edit latency on the same 10k-line Python file
#   bash tests/bench/run.sh engine       the engine alone on the latency edits (reparse and rules, ms)
#   bash tests/bench/run.sh all          everything above, in order
#
# Figures are ratios to a baseline measured in the same run: this machine is shared and noisy.
# Corpora and peers go to git-ignored folders; nothing here is a project dependency.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CORPORA="$HERE/corpora"
PEERS="$HERE/peers"
OUT="$HERE/results"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/heap-audit"
COUNTING="$TARGET/release/heap-audit-count-allocs"
# BENCH_LANGS="python" limits the throughput figures (and the corpora listing) to some languages.
read -ra LANGS <<<"${BENCH_LANGS:-python ts js rust}"
REPEAT="${BENCH_REPEAT:-3}"

# Pinned versions: the same corpora on every run.
DJANGO=5.2.19
RXJS=7.8.2
EFFECT=3.22.4
LODASH=4.17.21
TYPESCRIPT=5.9.3
# clap's code lives in clap_builder (the clap crate itself is mostly re-exports and docs).
RUST_CRATES=("tokio@1.54.1" "serde@1.0.229" "syn@2.0.119" "regex@1.13.2" "clap@4.6.9" "clap_builder@4.6.7")
RUFF=0.17.6
AST_GREP=0.51.1
BIOME=2.6.8

log() { printf '%s\n' "$*" >&2; }

corpora() {
  mkdir -p "$CORPORA/dl"
  cd "$CORPORA/dl"
  if [ ! -d "$CORPORA/python" ]; then
    log "python: django $DJANGO (wheel)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest . "django==$DJANGO"
    mkdir -p "$CORPORA/python"
    python3 -m zipfile -e Django-"$DJANGO"-py3-none-any.whl "$CORPORA/python/" 2>/dev/null ||
      python3 -m zipfile -e django-"$DJANGO"-py3-none-any.whl "$CORPORA/python/"
    # Python sources only (the wheel also ships admin JavaScript, templates and translations).
    find "$CORPORA/python" -type f ! -name '*.py' -delete
  fi
  if [ ! -d "$CORPORA/ts" ]; then
    log "ts: rxjs $RXJS + effect $EFFECT sources (npm)"
    mkdir -p "$CORPORA/ts"
    for p in "rxjs@$RXJS" "effect@$EFFECT"; do
      tgz="$(npm pack --silent "$p" | tail -1)"
      name="${p%@*}"
      mkdir -p "$CORPORA/ts/$name"
      tar -xzf "$tgz" -C "$CORPORA/ts/$name" --strip-components=1 --wildcards 'package/src/*'
    done
    # Only .ts sources (the packages' src folders); declaration files are not code.
    find "$CORPORA/ts" -type f ! -name '*.ts' -delete
    find "$CORPORA/ts" -name '*.d.ts' -delete
  fi
  if [ ! -d "$CORPORA/js" ]; then
    log "js: lodash $LODASH + typescript.js $TYPESCRIPT (npm)"
    mkdir -p "$CORPORA/js"
    tgz="$(npm pack --silent "lodash@$LODASH" | tail -1)"
    tar -xzf "$tgz" -O package/lodash.js >"$CORPORA/js/lodash.js"
    tgz="$(npm pack --silent "typescript@$TYPESCRIPT" | tail -1)"
    tar -xzf "$tgz" -O package/lib/typescript.js >"$CORPORA/js/typescript.js"
  fi
  if [ ! -d "$CORPORA/rust" ]; then
    log "rust: ${RUST_CRATES[*]} (crates.io, through a throwaway manifest and cargo fetch)"
    local m="$CORPORA/dl/rust-fetch"
    mkdir -p "$m/src"
    : >"$m/src/lib.rs"
    {
      printf '[workspace]\n\n[package]\nname = "bench-corpus-fetch"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n'
      for c in "${RUST_CRATES[@]}"; do printf '%s = { version = "=%s", default-features = false }\n' "${c%@*}" "${c#*@}"; done
    } >"$m/Cargo.toml"
    (cd "$m" && cargo fetch --quiet)
    local reg="${CARGO_HOME:-$HOME/.cargo}/registry/src"
    mkdir -p "$CORPORA/rust"
    for c in "${RUST_CRATES[@]}"; do
      local dir
      dir="$(find "$reg" -maxdepth 2 -type d -name "${c%@*}-${c#*@}" | head -1)"
      [ -n "$dir" ] || { log "missing $c in $reg"; exit 1; }
      cp -r "$dir/src" "$CORPORA/rust/${c%@*}"
    done
    find "$CORPORA/rust" -type f ! -name '*.rs' -delete
  fi
  for l in "${LANGS[@]}"; do
    log "$l: $(find "$CORPORA/$l" -type f | wc -l) files, $(find "$CORPORA/$l" -type f -exec cat {} + | wc -l) lines"
  done
}

peers() {
  mkdir -p "$PEERS"
  if [ ! -x "$PEERS/py/bin/ruff" ]; then
    log "peers: ruff $RUFF and ast-grep $AST_GREP (PyPI)"
    python3 -m pip install --quiet --target "$PEERS/py" "ruff==$RUFF" "ast-grep-cli==$AST_GREP"
  fi
  if [ ! -x "$PEERS/node_modules/.bin/biome" ]; then
    log "peers: biome $BIOME (npm)"
    (cd "$PEERS" && { [ -f package.json ] || echo '{"private": true}' >package.json; } &&
      npm install --silent --no-audit --no-fund "@biomejs/biome@$BIOME")
  fi
  "$PEERS/py/bin/ruff" --version
  "$PEERS/py/bin/ast-grep" --version
  "$PEERS/node_modules/.bin/biome" --version
}

need_corpora() {
  [ -d "$CORPORA/rust" ] || corpora
}

build() {
  # The allocation counter is a feature of its own build, kept beside the normal one (same
  # target folder: only heap-audit itself is compiled twice).
  (cd "$ROOT" && cargo build --release --quiet --features count-allocs --bin heap-audit)
  cp "$BIN" "$COUNTING"
  (cd "$ROOT" && cargo build --release --quiet --bench lsp --bin heap-audit)
}

# The bench driver (tests/bench/lsp.rs), built by `build`.
lsp_bench() {
  local b
  b="$(ls -t "$TARGET"/release/deps/lsp-* | grep -v '\.d$' | head -1)"
  "$b" "$@"
}

# Wall-clock seconds of a command (output discarded), the best of $REPEAT runs.
best() {
  local best="" t0 t1 t
  for _ in $(seq "$REPEAT"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    t=$(( (t1 - t0) / 1000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}

exts() {
  case "$1" in
    python) echo py ;;
    ts) echo ts ;;
    js) echo js ;;
    rust) echo rs ;;
  esac
}

lines_of() {
  find "$CORPORA/$1" -type f -name "*.$(exts "$1")" -exec cat {} + | wc -l
}

# (a) and (e): check throughput against parse-only, and the peers on the same files, per corpus,
# with 1 thread and with all. Each figure is the best of $REPEAT runs; ratios are to the
# parse-only pass of the same run.
throughput() {
  need_corpora
  [ -x "$BIN" ] || build
  local sg="$PEERS/py/bin/ast-grep" ruff="$PEERS/py/bin/ruff" biome="$PEERS/node_modules/.bin/biome"
  local all
  all="$(nproc)"
  mkdir -p "$OUT"
  printf '| corpus | lines | threads | parse-only lines/s | heap-audit check lines/s | check ÷ parse-only | ast-grep lines/s | check ÷ ast-grep | ruff / Biome lines/s |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for l in "${LANGS[@]}"; do
    local n dir="$CORPORA/$l"
    n="$(lines_of "$l")"
    for j in 1 "$all"; do
      local tp tc ts tr="" peer=""
      tp=$(best "$BIN" check --parse-only -q --fail-on never --format json -j "$j" "$dir")
      tc=$(best "$BIN" check -q --fail-on never --format json -j "$j" "$dir")
      ts=$(best "$sg" scan -c "$HERE/ast-grep/sgconfig.yml" --json=compact -j "$j" "$dir")
      case "$l" in
        python) tr=$(RAYON_NUM_THREADS=$j best "$ruff" check --isolated --no-cache --preview --select PLR6201,PERF --exit-zero "$dir"); peer=ruff ;;
        ts | js) tr=$(RAYON_NUM_THREADS=$j best "$biome" lint --config-path="$HERE/biome" "$dir"); peer=biome ;;
      esac
      python3 - "$l" "$n" "$j" "$tp" "$tc" "$ts" "$tr" "$peer" <<'PY'
import sys
l, n, j, tp, tc, ts, tr, peer = sys.argv[1:]
n = int(n)
rate = lambda us: n / (int(us) / 1e6)
peer_s = f"{peer} {rate(tr):,.0f}" if tr else "—"
print(f"| {l} | {n:,} | {j} | {rate(tp):,.0f} | {rate(tc):,.0f} | **{int(tp) / int(tc):.2f}×** | {rate(ts):,.0f} | {int(ts) / int(tc):.2f}× | {peer_s} |")
PY
    done
  done
}

latency() {
  need_corpora
  for l in rust ts python js; do
    for n in 1000 10000; do lsp_bench latency "$l" "$n"; done
  done
}

ruff_latency() {
  need_corpora
  lsp_bench latency python 10000
  lsp_bench latency python 10000 --server "$PEERS/py/bin/ruff" server --preview
}

rss() {
  need_corpora
  lsp_bench rss 50 10000
}

allocs() {
  need_corpora
  [ -x "$COUNTING" ] || build
  for l in rust ts python js; do
    for n in 1000 10000; do lsp_bench allocs "$l" "$n" --server "$COUNTING" server --stdio; done
  done
}

case "${1:-}" in
  corpora) corpora ;;
  peers) peers ;;
  build) build ;;
  throughput | peers-lint) peers >&2 && throughput ;;
  latency) latency ;;
  rss) rss ;;
  allocs) allocs ;;
  ruff-latency) ruff_latency ;;
  engine) for l in rust ts python js; do lsp_bench engine "$l" 10000; done ;;
  all)
    corpora
    peers
    build
    throughput
    latency
    ruff_latency
    rss
    allocs
    ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
