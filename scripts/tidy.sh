#!/usr/bin/env bash
# Runs clang-tidy with the committed .clang-tidy over every .cc file of src/
# (and, through HeaderFilterRegex, the headers of src/ they include), using
# the compile commands of the main build (configured by scripts/build.sh in
# $BUILD_DIR, default build/). Any finding is an error (WarningsAsErrors).
# Prints the findings and a one-line summary; exits non-zero on a finding.
#
# Without arguments (CI), one translation unit per library: a generated
# file in $BUILD_DIR/tidy-db/units/ includes every .cc file of one folder of
# src/ that is compiled with the same flags. clang-tidy's matchers walk
# the whole AST of a translation unit, system headers included (abseil,
# CLI11, nlohmann/json: 98% of a file's AST), so checking a library as one
# unit walks those headers once instead of once per file: 8 CPU-seconds
# instead of 62 for src/scan. Findings are reported at their lines in the
# real files. A library whose files do not compile together (two files
# define the same name in anonymous namespaces) is checked file by file,
# with a note: rename one of the two to get the speed back.
#
# Usage: scripts/tidy.sh [FILE.cc...]   (files: checked one by one)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="$(nproc)"

scripts/install_packages.sh clang-tidy
if [ ! -f "$BUILD_DIR/compile_commands.json" ]; then
  echo "tidy.sh: $BUILD_DIR/compile_commands.json missing; run scripts/build.sh" >&2
  exit 1
fi
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# tidy_each DB FILE...: clang-tidy on each FILE, $JOBS at a time, the
# largest first; one log per file in $work/logs/.
tidy_each() {
  local db="$1"
  shift
  mkdir -p "$work/logs"
  ls -S "$@" | xargs -P "$JOBS" -I{} sh -c \
    'clang-tidy --quiet --config-file="$1/.clang-tidy" -p "$2" "$3" >"$4/$(echo "$3" | tr / _).log" 2>&1 || true' \
    sh "$ROOT" "$db" {} "$work/logs"
}

# Two compile databases of src/'s .cc files, from the build's (whose
# entries are CMake's unity files when the build has MEMSTATS_UNITY: their
# #include lines name the real files): $db/files, one entry per file, and
# $db/units, one per library unit (see above).
db="$BUILD_DIR/tidy-db"
rm -rf "$db"
mkdir -p "$db/files" "$db/units"
python3 - "$BUILD_DIR/compile_commands.json" "$ROOT/src/" "$db" <<'EOF'
import collections, json, os, re, shlex, sys
build_db, src, out = sys.argv[1:]
entries = []  # (file, directory, flags without -o and the source)
for e in json.load(open(build_db)):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    args = shlex.split(e["command"]) if "command" in e else e["arguments"]
    i = args.index("-o")
    flags = [a for a in args[:i] + args[i + 2:] if a not in (e["file"], f)]
    if "/Unity/unity_" in f:
        members = re.findall(r'^#include "([^"]+)"', open(f).read(), re.M)
    else:
        members = [f]
    for m in members:
        m = os.path.realpath(m)
        if m.startswith(src) and m.endswith(".cc"):
            entries.append((m, e["directory"], tuple(flags)))


def command(flags, path):
    return " ".join(shlex.quote(a) for a in list(flags) + ["-o", path + ".o", path])


json.dump([{"directory": d, "file": f, "command": command(fl, f)}
           for f, d, fl in sorted(entries)],
          open(os.path.join(out, "files", "compile_commands.json"), "w"), indent=1)
groups = collections.defaultdict(list)
for f, d, fl in entries:
    groups[(os.path.dirname(f), fl)].append((f, d))
units = []
names = collections.Counter()
for (folder, flags), members in sorted(groups.items()):
    lib = os.path.relpath(folder, src).replace("/", "_")
    names[lib] += 1
    path = os.path.join(out, "units", f"{lib}_{names[lib]}.cc")
    with open(path, "w") as u:
        for f, _ in sorted(members):
            u.write(f'#include "{f}"  // NOLINT(bugprone-suspicious-include)\n')
    units.append({"directory": members[0][1], "file": path,
                  "command": command(flags, path)})
    with open(path + ".files", "w") as m:
        m.write("\n".join(f for f, _ in sorted(members)) + "\n")
json.dump(units, open(os.path.join(out, "units", "compile_commands.json"), "w"), indent=1)
EOF

files=("$@")
units=0
if ((${#files[@]} == 0)); then
  mapfile -t unit_files < <(ls "$db"/units/*.cc)
  units=${#unit_files[@]}
  tidy_each "$db/units" "${unit_files[@]}"
  # A unit whose files do not compile together: those files one by one.
  retry=()
  for u in "${unit_files[@]}"; do
    log="$work/logs/$(echo "$u" | tr / _).log"
    if grep -q 'error: .*\[clang-diagnostic-error\]' "$log"; then
      echo "tidy.sh: note: the files of $(basename "$u" .cc) do not compile as one unit;" \
        "checking them one by one:" >&2
      grep -m 3 'error: .*\[clang-diagnostic-error\]' "$log" >&2 || true
      rm -f "$log"
      mapfile -t -O "${#retry[@]}" retry <"$u.files"
    fi
  done
  if ((${#retry[@]})); then tidy_each "$db/files" "${retry[@]}"; fi
  mapfile -t files < <(cat "$db"/units/*.cc.files)
else
  tidy_each "$db/files" "${files[@]}"
fi

cat "$work"/logs/*.log | sed 's/\x1b\[[0-9;]*m//g' >"$work/all.log"
findings=$(grep -c -E '(warning|error): .*\[[a-z0-9.,-]+\]$' "$work/all.log" || true)
what="${#files[@]} files"
((units == 0)) || what="${#files[@]} files in $units units"
if ((findings != 0)) || grep -q -E '^Error|error: unable|no such file|Stack dump' "$work/all.log"; then
  grep -E -A3 '(warning|error): ' "$work/all.log" |
    grep -v -E '^clang-tidy|warnings generated|^Suppressed|^Use -header-filter' >&2 ||
    tail -50 "$work/all.log" >&2
  echo "tidy.sh: $what, $findings findings" >&2
  exit 1
fi
echo "tidy.sh: $what, 0 findings"
