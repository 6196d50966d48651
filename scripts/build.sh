#!/usr/bin/env bash
# Installs what memstats needs from Debian's packages (only what is
# missing), then configures and builds it in build/ (or $BUILD_DIR).
# Usage: scripts/build.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake ninja-build g++ clang lld pkg-config python3
          libabsl-dev libtbb-dev libcli11-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
          # capture files: zstd-compressed blobs.
          libzstd-dev
          # memstats map writes its PNG with libpng.
          libpng-dev
          # memstats serve's HTTP server (cpp-httplib), and the real
          # Prometheus and promtool its live test scrapes and lints with.
          libcpp-httplib-dev prometheus
          # tests/render: the SVG chart through rsvg-convert, the HTML
          # report in headless Chromium driven by Selenium.
          librsvg2-bin chromium chromium-driver python3-selenium)

scripts/install_packages.sh "${PACKAGES[@]}"

BUILD_DIR="${BUILD_DIR:-build}"
# clang (CC/CXX from the environment win): it compiles the test files in
# about half gcc's time (tests/CMakeLists.txt). gcc builds memstats too:
# scripts/sanitize.sh's TSan build uses it. CMake cannot change the
# compiler of a configured directory: one configured with another is
# started afresh.
export CC="${CC:-clang}" CXX="${CXX:-clang++}"
if [ -f "$BUILD_DIR/CMakeCache.txt" ] &&
  ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=$(command -v "$CXX")\$" "$BUILD_DIR/CMakeCache.txt"; then
  echo "build.sh: $BUILD_DIR was configured with another compiler; configuring it afresh for $CXX" >&2
  rm -rf "$BUILD_DIR"
fi
# Under CI=true (a clean clone nobody debugs; the package is stripped):
# -g1, line tables and function names, instead of RelWithDebInfo's full
# -g; src/ in unity batches (MEMSTATS_UNITY in CMakeLists.txt): a third of
# the CPU time for src/ (gcc: 122 CPU-s instead of 381 for the memstats
# binary); and lld for memstats and the tests (MEMSTATS_LINKER; the live
# tests' helpers keep ld.bfd).
ci_flags=()
if [ "${CI:-}" = "true" ]; then
  ci_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DMEMSTATS_UNITY=ON
            -DMEMSTATS_LINKER=lld)
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${ci_flags[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
