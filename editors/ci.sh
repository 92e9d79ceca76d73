#!/usr/bin/env bash
# What CI runs for the editor integrations besides `cargo test` (which includes
# tests/editors_config.rs and tests/editors_nvim.rs). Run from anywhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# Headless Neovim 0.11 for tests/editors_nvim.rs (it would install it itself, too).
bash "$root/tests/nvim/install.sh"

# VS Code: npm ci, type-check, unit tests, esbuild bundle, .vsix with vsce 3.
bash "$root/editors/vscode/build.sh"

# Zed: unit tests on the host, then the WebAssembly build Zed loads.
rustup target add wasm32-wasip2
cargo test --manifest-path "$root/editors/zed/Cargo.toml"
cargo build --release --target wasm32-wasip2 --manifest-path "$root/editors/zed/Cargo.toml"
ls -l "$root/editors/zed/target/wasm32-wasip2/release/heap_audit_zed.wasm"
