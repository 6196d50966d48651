#!/usr/bin/env bash
# Runs clang-tidy with the committed .clang-tidy over every .cc file of src/
# (and, through HeaderFilterRegex, the headers of src/ they include), using
# the compile commands of the main build (configured by scripts/build.sh in
# $BUILD_DIR, default build/). Any finding is an error (WarningsAsErrors).
# Prints the findings and a one-line summary; exits non-zero on a finding.
# Usage: scripts/tidy.sh [FILE.cc...]   (default: every src/**/*.cc)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"

scripts/install_packages.sh clang-tidy
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  echo "tidy.sh: $BUILD_DIR/compile_commands.json missing; run scripts/build.sh" >&2
  exit 1
fi

files=("$@")
if ((${#files[@]} == 0)); then
  mapfile -t files < <(find src -name '*.cc' | sort)
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# run-clang-tidy runs one clang-tidy per file on every core (always with
# colours: strip them).
status=0
run-clang-tidy -quiet -p "$BUILD_DIR" -j "$(nproc)" "${files[@]}" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' >"$log" || status=$?
findings=$(grep -c -E '(warning|error): .*\[[a-z0-9.,-]+\]$' "$log" || true)
if ((status != 0 || findings != 0)); then
  grep -E -A3 '(warning|error): ' "$log" | grep -v -E '^clang-tidy|warnings generated' >&2 ||
    tail -50 "$log" >&2
  echo "tidy.sh: ${#files[@]} files, $findings findings (exit $status)" >&2
  exit 1
fi
echo "tidy.sh: ${#files[@]} files, 0 findings"
