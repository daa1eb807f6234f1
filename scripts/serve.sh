#!/usr/bin/env bash
# README command 1: install what is missing, build packetwalk, serve it on
# http://127.0.0.1:8080 (PORT=... to change), rebuilding when the sources change.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
ensure_build_tools
port="${PORT:-8080}"
say "building packetwalk and serving it on http://127.0.0.1:$port/ (Ctrl-C stops)"
exec trunk serve --release --port "$port"
