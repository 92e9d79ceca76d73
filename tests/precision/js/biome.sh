#!/usr/bin/env bash
# Runs Biome's noDelete, useArrayLiterals and noSparseArray over the precision corpus and
# compares them with heap-audit's js/delete-property and js/array-holes (see biome.md).
#
#   tests/precision/js/biome.sh [CORPUS_DIR] [BIOME_DIR]
#
# CORPUS_DIR is the folder corpus.sh built (default /tmp/heap-audit-js-corpus; built here if
# missing). Biome is installed from npm into BIOME_DIR (default /tmp/heap-audit-biome), outside
# the repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
corpus="${1:-/tmp/heap-audit-js-corpus}"
biome_dir="${2:-/tmp/heap-audit-biome}"
biome_version="2.6.8"

[ -f "$corpus/findings.tsv" ] || "$here/corpus.sh" "$corpus"

mkdir -p "$biome_dir"
if [ ! -x "$biome_dir/node_modules/.bin/biome" ]; then
  (cd "$biome_dir" && npm init -y >/dev/null && npm install --no-audit --no-fund "@biomejs/biome@$biome_version" >/dev/null)
fi
cat >"$biome_dir/biome.json" <<'EOF'
{
  "files": { "maxSize": 10485760 },
  "formatter": { "enabled": false },
  "assist": { "enabled": false },
  "vcs": { "enabled": false },
  "linter": {
    "enabled": true,
    "rules": {
      "preset": "none",
      "performance": { "noDelete": "warn" },
      "style": { "useArrayLiterals": "warn" },
      "suspicious": { "noSparseArray": "warn" }
    }
  }
}
EOF
(cd "$corpus/sel" && "$biome_dir/node_modules/.bin/biome" lint --config-path="$biome_dir/biome.json" \
  --reporter=json --max-diagnostics=none . >"$biome_dir/biome-out.json" 2>"$biome_dir/biome-err.txt") || true
"$biome_dir/node_modules/.bin/biome" --version
node "$here/biome-compare.mjs" "$corpus/sel" "$corpus/findings.tsv" "$biome_dir/biome-out.json"
