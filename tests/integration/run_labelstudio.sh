#!/usr/bin/env bash
# The real-server Label Studio test, in its own virtual environment (.venv-ls, git-ignored):
# label-studio pins numpy/pyarrow versions that the model stack does not share.
# Usage: bash tests/integration/run_labelstudio.sh [pytest args]; LS_VENV=path picks another venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${LS_VENV:-.venv-ls}
LABEL_STUDIO_VERSION=1.23.2
PYTHON=${PYTHON:-python3}
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; \
sys.exit(m.version('label-studio') != '$LABEL_STUDIO_VERSION')" 2>/dev/null; then
  echo "creating $VENV with label-studio==$LABEL_STUDIO_VERSION (a few minutes, once)" >&2
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "label-studio==$LABEL_STUDIO_VERSION" pytest
fi
# zhinvest's Label Studio modules need neither torch nor transformers: run from the source tree.
# tests/conftest.py builds torch models, so it is skipped (--noconftest), and so are the doctests.
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  --noconftest -o addopts="" tests/integration/test_labelstudio_server.py "$@"
