#!/usr/bin/env bash
# README command 2: install what is missing, then run every check packetwalk has, in
# order, stopping at the first failure. CI (.ci/run) runs exactly this.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

passed=()
run_stage() {
  local name="$1"
  shift
  say "stage: $name"
  local start=$SECONDS
  if "$@"; then
    passed+=("$name ($((SECONDS - start)) s)")
  else
    echo
    say "FAILED: $name"
    for p in "${passed[@]}"; do echo "  ok    $p"; done
    echo "  FAIL  $name"
    echo "summary: ${#passed[@]} passed, 1 failed"
    exit 1
  fi
}

standalone() { bash scripts/check-standalone.sh; }
setup() { ensure_build_tools && ensure_chromium; }
fmt() { cargo fmt --all --check; }
clippy_native() { cargo clippy --workspace --all-targets --locked -- -D warnings; }
# The evaluator's own tests and benchmarks run natively (proptest and criterion do not
# build for wasm32); on wasm32 its library is checked, and the web crate with its tests.
clippy_wasm() {
  cargo clippy -p packetwalk --lib --target wasm32-unknown-unknown --locked -- -D warnings &&
    cargo clippy -p packetwalk-web --all-targets --target wasm32-unknown-unknown --locked -- -D warnings
}
native_tests() { CI=true cargo test --workspace --exclude packetwalk-web --locked; }
wasm_tests() {
  (cd crates/packetwalk-web && CHROMEDRIVER=/usr/bin/chromedriver \
    cargo test --target wasm32-unknown-unknown --locked)
}
web_build() { trunk build --release && node scripts/size-report.mjs dist && node scripts/page-report.mjs dist 5 && node scripts/analysis-report.mjs dist 5; }
# The CLI's batch mode, whole process (a report, not a timed assertion).
cli_bench() { cargo build --release --locked -p packetwalk-cli && node scripts/flow-batch-bench.mjs target/release/packetwalk 5; }
e2e_tests() { npx playwright test --config tests/e2e/playwright.config.js; }

run_stage "the repository stands alone" standalone
run_stage "install missing tools" setup
run_stage "cargo fmt --check" fmt
run_stage "clippy (native, all targets, -D warnings)" clippy_native
run_stage "clippy (wasm32, -D warnings)" clippy_wasm
run_stage "native tests" native_tests
run_stage "CLI batch benchmark (report)" cli_bench
run_stage "wasm-bindgen tests in headless Chromium" wasm_tests
run_stage "release build (trunk), size and load-time report" web_build
run_stage "end-to-end tests (Playwright, Chromium)" e2e_tests

echo
say "all stages passed"
for p in "${passed[@]}"; do echo "  ok    $p"; done
echo "summary: ${#passed[@]} passed, 0 failed"
