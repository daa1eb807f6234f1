#!/usr/bin/env bash
# Fails when a tracked file refers to something outside the repository: the development
# machines' shared folder beside it, an absolute path of one machine, or a relative path
# that climbs above the repository's root. A clone alone must build and pass.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

self="scripts/check-standalone.sh"
found=0

# Named places: the folder beside the repo on the development machines, and home or work
# folders of one machine.
if git grep -n -I -E '\.\./shared|(^|[^a-z-])shared/(fixtures|seed|spec|tools|hooks|toolchain)|/work/|/root/|/home/[a-z]|/Users/' \
  -- . ":!$self"; then
  found=1
fi

# Relative paths that climb more levels than the file sits below the root ("../" chains,
# and path.join("..", "..") chains in scripts).
while IFS= read -r file; do
  depth=$(($(tr -cd '/' <<<"$file" | wc -c)))
  grep -n -o -E '(\.\./)+|("\.\.", *)+' "$file" 2>/dev/null | while IFS=: read -r line chain; do
    ups=$(grep -o '\.\.' <<<"$chain" | wc -l)
    if [ "$ups" -gt "$depth" ]; then
      echo "$file:$line: climbs $ups levels from $depth below the root: $chain"
    fi
  done
done < <(git ls-files | grep -v -E '(^|/)(Cargo\.lock|package-lock\.json)$|\.(png|svg|wasm)$' | grep -v -x "$self") | grep . && found=1

if [ "$found" = 1 ]; then
  echo "tracked files refer to paths outside the repository (above)" >&2
  exit 1
fi
echo "no tracked file refers to a path outside the repository"
