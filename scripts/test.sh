#!/usr/bin/env bash
# The README's test command, and what CI (.ci/run) runs. Steps, each under
# its own heading, all run even when an earlier one failed:
#   1. tests:    build memstats and run every test (unit, fixture, CLI and
#                the live end-to-end tests, which need root);
#   2. tidy:     clang-tidy with the committed .clang-tidy over src/, one
#                translation unit per library (tidy.sh);
#   3. asan:     the whole suite under AddressSanitizer + UBSan, built with
#                clang (sanitize.sh);
#   4. fuzz:     the libFuzzer targets of fuzz/, from the ASan build, over
#                the committed corpus: a fixed set of inputs from seed 1
#                (fuzz.sh --fixed), or with FUZZ_SECONDS set, exploring for
#                that long; a crash fails;
#   5. tsan:     the parallel scanner's and accounting's tests (and the CLI
#                and live tests running the TSan-built binary) under
#                ThreadSanitizer (sanitize.sh);
#   6. package:  the Debian package from build/: lintian, dpkg -i, the
#                installed binary, man page, completion and a groups run,
#                then dpkg -r (package_test.sh).
# Under CI=true a skipped test fails the run: the live tests must really run.
# For developers: `scripts/test.sh --quick` (or MEMSTATS_QUICK=1) runs step
# 1 only; `scripts/test.sh STEP...` runs the named steps. CI runs them all.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
ALL_STEPS=(tests tidy asan fuzz tsan package)

steps=()
for a in "$@"; do
  case "$a" in
    --quick) steps=(tests) ;;
    tests|tidy|asan|fuzz|tsan|package) steps+=("$a") ;;
    *) echo "usage: scripts/test.sh [--quick | STEP...]  (steps: ${ALL_STEPS[*]})" >&2
       exit 2 ;;
  esac
done
if ((${#steps[@]} == 0)); then
  if [ "${MEMSTATS_QUICK:-}" = "1" ] && [ "${CI:-}" != "true" ]; then
    steps=(tests)
  else
    steps=("${ALL_STEPS[@]}")
  fi
fi

# Step 1: build, ctest, and no skipped test under CI=true.
run_tests() {
  scripts/build.sh || return 1
  local log status skipped
  log="$(mktemp)"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  skipped=$(grep -c -E '\*\*\*Skipped|Not Run' "$log" || true)
  rm -f "$log"
  if [ "$status" -ne 0 ]; then
    echo "test.sh: ctest failed" >&2
    return "$status"
  fi
  if [ "$skipped" -ne 0 ]; then
    if [ "${CI:-}" = "true" ]; then
      echo "test.sh: $skipped test(s) skipped under CI=true; every test must run" >&2
      return 1
    fi
    echo "test.sh: warning: $skipped test(s) skipped (run as root to run them)" >&2
  fi
}

run_step() {
  case "$1" in
    tests) run_tests ;;
    fuzz) if [ -n "${FUZZ_SECONDS:-}" ]; then scripts/fuzz.sh "$FUZZ_SECONDS"
          else scripts/fuzz.sh --fixed; fi ;;
    tidy) { [ -f "$BUILD_DIR/compile_commands.json" ] || scripts/build.sh; } &&
          scripts/tidy.sh ;;
    asan) scripts/sanitize.sh asan ;;
    tsan) scripts/sanitize.sh tsan ;;
    package) scripts/package_test.sh ;;
  esac
}

results=()
failed=0
for s in "${steps[@]}"; do
  printf '\n==================== test.sh: %s ====================\n' "$s"
  start=$SECONDS
  if run_step "$s"; then r=PASS; else r=FAIL; failed=1; fi
  results+=("$(printf '%-7s %s  %4ds' "$s" "$r" $((SECONDS - start)))")
done

printf '\n==================== test.sh: summary ====================\n'
printf '%s\n' "${results[@]}"
exit "$failed"
