#!/usr/bin/env bash
# Sources the bash completion (packaging/memstats.bash-completion) and checks
# what it offers for command lines, as bash would call it: COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT set, _memstats called, COMPREPLY read.
# Usage: completion_test.sh COMPLETION_FILE DIR_OF_MEMSTATS_BINARY
set -u
completion=$1
completion_dir=$(dirname "$completion")
export MEMSTATS_COMPLETION_TEST_VAR=1
PATH="$2:$PATH"
# shellcheck source=/dev/null
source "$completion"
failures=0

# Completes LINE (words split at spaces; a trailing space starts an empty
# word), as the completion of `memstats` would.
complete_line() {
  COMP_LINE=$1
  COMP_POINT=${#1}
  read -ra COMP_WORDS <<<"$1"
  if [[ $1 == *" " ]]; then COMP_WORDS+=(""); fi
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _memstats memstats "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
}

fail() {
  echo "FAIL: '$1': $2" >&2
  echo "      offered: ${COMPREPLY[*]:-(nothing)}" >&2
  failures=$((failures + 1))
}

# expect LINE WORD...: each WORD is offered.
expect() {
  local line=$1 w
  shift
  complete_line "$line"
  for w in "$@"; do
    if ! printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$w"; then
      fail "$line" "'$w' not offered"
    fi
  done
}

# expect_only LINE WORD...: exactly these WORDs are offered (in any order).
expect_only() {
  local line=$1
  shift
  complete_line "$line"
  local got want
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
  want=$(printf '%s\n' "$@" | sort)
  if [[ $got != "$want" ]]; then fail "$line" "expected exactly: $*"; fi
}

# Commands, from `memstats --help`.
expect_only "memstats " groups single top snapshot watch run peak record plot \
  system map procinfo shm serve capture
expect_only "memstats sn" snapshot
expect_only "memstats pe" peak
expect_only "memstats --json g" groups
expect_only "memstats --threads 2 s" single snapshot system shm serve
expect_only "memstats shm --split-e" --split-env --split-exe
# capture: its options, --env's variable names, files for -o and --from.
expect "memstats capture --" --output --env
expect_only "memstats capture --env MEMSTATS_COMPLETION_T" MEMSTATS_COMPLETION_TEST_VAR
expect_only "memstats --fr" --from
expect "memstats --from $completion_dir/" "$completion"
expect_only "memstats shm --t" --top --threads
# Option values.
expect_only "memstats --units " B KiB MiB GiB auto
expect_only "memstats groups --units M" MiB
expect_only "memstats --units=G" GiB
expect_only "memstats top -u K" KiB
expect_only "memstats top -g u" user uid
expect_only "memstats peak --by " rss pss uss
expect_only "memstats peak x.db --by p" pss
expect "memstats top --columns pss,a" pss,anon
expect "memstats top --sort " name ptotal
expect_only "memstats --threads " ""
# Splitters of groups, and options from each level's --help.
expect_only "memstats groups --split-" --split-uid --split-user --split-env \
  --split-comm --split-exe --split-cgroup --split-pids --split-custom
expect "memstats snapshot --" --small --mask --children --output --filter --json
expect "memstats top --" --loop --rounds --tsv --columns --units
expect "memstats peak --" --by --pid --recording --files --json
expect "memstats map --" --output --scale --split-uid --split-env
expect_only "memstats map --scale " ""
expect "memstats serve --" --listen --interval --max-groups --allow-remote \
  --split-uid --split-env --filter
expect_only "memstats serve --listen " ""
expect_only "memstats serve --max-" --max-groups
expect "memstats serve --split-env HO" HOME
expect_only "memstats top -h" -h  # once, though both levels show it
# The filter language after --filter (and in --split-custom), nested too.
expect "memstats --filter " and\( or\( not\( uid\( user\( pid\( ppid\( \
  comm\( exe\( descendants\( env_k\( env_kv\( cmdline\( cgroup\( "true()" "false()"
expect_only "memstats --filter env" env_k\( env_kv\(
expect_only "memstats groups --filter and(uid(0),c" "and(uid(0),comm(" \
  "and(uid(0),cmdline(" "and(uid(0),cgroup("
expect_only 'memstats --filter "not(desc' '"not(descendants('
expect "memstats groups --split-custom comm(sshd),u" "comm(sshd),uid(" "comm(sshd),user("
# After the filter's value, commands again.
expect_only "memstats --filter uid(0) si" single
# Pids: this bash's own pid, after -p and in a comma list.
expect "memstats snapshot -p " "$$" 1
expect "memstats snapshot --pid 1,$$" "1,$$"
expect "memstats groups --split-pids " "$$"
expect "memstats procinfo " "$$" 1
expect "memstats procinfo --" --pages --range
expect_only "memstats procinfo 1 --range " ""

# The filter functions offered are exactly those the parser knows (its
# error message lists them).
complete_line "memstats --filter "
offered=$(printf '%s\n' "${COMPREPLY[@]}" | sed 's/[()]//g' | sort | tr '\n' ' ')
known=$(memstats --filter "nosuchfunction(1)" single 2>&1 |
  sed -n 's/.*expected one of: //p' | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
if [[ -z $known || $offered != "$known" ]]; then
  echo "FAIL: filter functions offered: $offered; the parser knows: $known" >&2
  failures=$((failures + 1))
fi

if ((failures)); then
  echo "completion_test.sh: $failures failure(s)" >&2
  exit 1
fi
echo "completion_test.sh: all completions as expected"
