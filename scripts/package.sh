#!/usr/bin/env bash
# Builds the Debian package of memstats with CPack: build/dist/
# memstats_VERSION_ARCH.deb (VERSION is project()'s in CMakeLists.txt).
# It reuses build/ (or $BUILD_DIR) when scripts/build.sh made it, building
# only what the package holds (the binary, memstats(1), the changelog);
# dpkg-shlibdeps finds the runtime dependencies.
# Usage: scripts/package.sh; prints the path of the .deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"

# dpkg-shlibdeps (dpkg-dev) and file, which CPack's DEB generator runs.
scripts/install_packages.sh dpkg-dev file

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  scripts/build.sh
else
  cmake -S . -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" \
  --target memstats memstats_manpage memstats_changelog
rm -rf "$BUILD_DIR/dist"
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
realpath "$BUILD_DIR"/dist/memstats_*.deb
