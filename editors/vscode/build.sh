#!/usr/bin/env bash
# Builds the VS Code extension as CI does: clean install from package-lock.json, type-check, unit-test,
# bundle with esbuild, package to editors/vscode/heap-audit.vsix.
# HEAP_AUDIT_BUNDLE=/path/to/heap-audit puts that executable into the package as bin/heap-audit.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf bin dist heap-audit.vsix
if [[ -n "${HEAP_AUDIT_BUNDLE:-}" ]]; then
  install -D -m 0755 "$HEAP_AUDIT_BUNDLE" bin/heap-audit
fi
npm ci --no-audit --no-fund
npm run typecheck
npm test
npm run bundle
npm run package
ls -l heap-audit.vsix
