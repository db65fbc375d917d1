#!/usr/bin/env bash
# The real-server Label Studio test, in its own virtual environment (.venv-ls):
# label-studio pins numpy/pyarrow versions that the model stack does not share.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${LS_VENV:-.venv-ls}
if [ ! -x "$VENV/bin/label-studio" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "label-studio==1.23.2" pytest
fi
# zhinvest's Label Studio modules need neither torch nor transformers: use the source tree directly
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  --noconftest -o addopts="" tests/integration/test_labelstudio_server.py "$@"
