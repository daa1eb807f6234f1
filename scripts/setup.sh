#!/usr/bin/env bash
# Installs what packetwalk's build (and, with --browser, its tests) need, and skips
# whatever is already there. Sourced by scripts/serve.sh and scripts/test.sh; it can
# also run on its own: `bash scripts/setup.sh [--browser]`.
#
# Versions are pinned on purpose (see docs/toolchain.md): trunk 0.22 needs a newer
# rustc than 1.95, and wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2
    return 1
  fi
  local installed
  installed="$(rustup target list --installed 2>/dev/null || true)"
  if ! grep -qx wasm32-unknown-unknown <<<"$installed"; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    say "adding rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
}

ensure_trunk() {
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION (once; about 11 minutes on 2 cores)"
    cargo install trunk --version "$TRUNK_VERSION" --locked --force
  fi
}

ensure_wasm_bindgen() {
  if [ -z "$WASM_BINDGEN_VERSION" ]; then
    echo "could not read the wasm-bindgen version from Cargo.lock" >&2
    return 1
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ] ||
     ! command -v wasm-bindgen-test-runner >/dev/null; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once; about 2 minutes)"
    # Not --locked: the CLI's own lockfile pins a yanked crate.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_npm_packages() {
  if ! command -v npm >/dev/null; then
    echo "npm not found: install Node.js 20 or newer first" >&2
    return 1
  fi
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ] || [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ]; then
    say "installing npm packages (wasm-opt from binaryen, Playwright without a browser download)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    say "installing Debian's chromium and chromium-driver"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  fi
}

ensure_build_tools() {
  ensure_rust && ensure_npm_packages && ensure_wasm_bindgen && ensure_trunk
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_build_tools
  if [ "${1:-}" = "--browser" ]; then ensure_chromium; fi
  say "tools ready"
fi
