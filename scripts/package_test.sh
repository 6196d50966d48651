#!/usr/bin/env bash
# The `package` step of scripts/test.sh: builds the Debian package
# (scripts/package.sh), runs lintian on it, installs it with dpkg -i
# (reinstalling or upgrading a memstats left by an earlier run; its
# dependencies are installed already, since the build needed them), checks
# the installed files, and removes the package with dpkg -r at the end,
# also when a check failed. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

# lintian tags left on purpose, each with its reason; any other warning or
# info tag fails the step, as does any error.
ALLOWED_TAGS=(
  # The package ships the binary scripts/build.sh built, with CMake's flags
  # (RelWithDebInfo), not dpkg-buildflags': -D_FORTIFY_SOURCE=2 would have
  # to apply to every library of the build to help, and then to the ASan
  # and TSan builds too (ASan does not support FORTIFY_SOURCE), and a second
  # build just for the package would not fit in the step's time. PIE, RELRO
  # and BIND_NOW are on (packaging/CMakeLists.txt links with -z now).
  hardening-no-fortify-functions
)
# spelling-error-in-binary for these words only: not strings of memstats
# but pieces of them the compiler laid out next to other bytes. clang
# compares a path with "/dev/zero (deleted)" 16 bytes at a time, and the
# 16-byte constant "/dev/zero (delet" is followed in .rodata by a string
# starting with S ("deletS"). A misspelling in a real message still fails.
COMPILER_FRAGMENTS=(deletS)

scripts/install_packages.sh lintian man-db
deb=$(scripts/package.sh | tail -n 1)
echo "package_test.sh: built $deb"
dpkg-deb --field "$deb"
dpkg-deb --contents "$deb"

failed=0
# -I: info tags too; lintian warns about running as root, on stderr only.
lintian_out=$(lintian -I --tag-display-limit 0 "$deb" 2>/dev/null || true)
if [ -n "$lintian_out" ]; then printf '%s\n' "$lintian_out"; fi
while read -r severity _ tag word _; do
  [ -n "${severity:-}" ] || continue
  case "$severity" in
    E:) echo "package_test.sh: lintian error: $tag" >&2; failed=1 ;;
    W: | I:)
      if [ "$tag" = spelling-error-in-binary ] &&
        printf '%s\n' "${COMPILER_FRAGMENTS[@]}" | grep -qxF -- "$word"; then
        continue
      fi
      if ! printf '%s\n' "${ALLOWED_TAGS[@]}" | grep -qxF -- "$tag"; then
        echo "package_test.sh: lintian tag not fixed nor explained: $tag" >&2
        failed=1
      fi ;;
    *) echo "package_test.sh: lintian said: $severity $tag" >&2; failed=1 ;;
  esac
done <<<"$lintian_out"

# From here on the package is installed: remove it whatever happens.
cleanup() {
  if dpkg-query -W -f='${Status}' memstats 2>/dev/null | grep -q "ok installed"; then
    dpkg -r memstats >/dev/null && echo "package_test.sh: removed memstats"
  fi
}
trap cleanup EXIT
dpkg -i "$deb"

check() {  # DESCRIPTION COMMAND...: runs COMMAND, fails the step if it fails
  local what=$1
  shift
  if "$@"; then
    echo "package_test.sh: ok: $what"
  else
    echo "package_test.sh: FAILED: $what" >&2
    failed=1
  fi
}
version=$(sed -n 's/^project(memstats VERSION \([^ ]*\) .*/\1/p' CMakeLists.txt)
check "/usr/bin/memstats --version prints memstats $version" \
  bash -c "test \"\$(/usr/bin/memstats --version)\" = 'memstats $version'"
check "man -w memstats finds the installed page" \
  bash -c 'man -w memstats && test -f /usr/share/man/man1/memstats.1.gz'
check "the man page renders without groff warnings" \
  bash -c 'test -z "$(MANWIDTH=80 man --warnings -l /usr/share/man/man1/memstats.1.gz 2>&1 >/dev/null)"'
check "the bash completion is registered for memstats" \
  bash -c 'source /usr/share/bash-completion/completions/memstats && complete -p memstats'
check "memstats groups --split-uid runs from / with exit 0" \
  bash -c 'cd / && /usr/bin/memstats groups --split-uid >/dev/null'
check "memstats links no TLS library (serve's module does)" \
  bash -c '! ldd /usr/bin/memstats | grep -q libssl'
# serve loads /usr/lib/<multiarch>/memstats/memstats-http.so: its /healthz
# answers "ok" once the first scan completed.
check "memstats serve loads its HTTP module and answers /healthz" bash -c '
  log=$(mktemp)
  /usr/bin/memstats serve --listen 127.0.0.1:0 --interval 1s 2>"$log" &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n "s|.*http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p" "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  status=1
  for _ in $(seq 100); do
    [ -n "$port" ] || break
    if python3 -c "import sys, urllib.request as u; sys.exit(u.urlopen(\"http://127.0.0.1:$port/healthz\").read() != b\"ok\\n\")" 2>/dev/null; then
      status=0
      break
    fi
    sleep 0.2
  done
  kill "$pid"; wait "$pid"; cat "$log" >&2; rm -f "$log"
  exit "$status"'
exit "$failed"
