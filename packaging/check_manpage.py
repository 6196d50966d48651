#!/usr/bin/env python3
"""Fails when memstats(1) and `memstats [CMD] --help` disagree.

Usage: check_manpage.py MEMSTATS_BINARY MEMSTATS.1.gz

Checks, independently of gen_manpage.py's parsing:
  - every option that `memstats --help` or `memstats CMD --help` shows
    (each name of "-g,--group-by") is in the page;
  - every command that `memstats --help` lists has a ".SS CMD" section;
  - every long option the page mentions (in prose and examples too) is one
    that some --help shows: a renamed or removed option fails the test.
"""
import gzip
import re
import subprocess
import sys


def help_text(binary, *args):
    return subprocess.run([binary, *args, "--help"], check=True,
                          capture_output=True, text=True).stdout


def option_names(text):
    """Names in the option column: lines "  -x,--long VALUE   text"."""
    names = set()
    for m in re.finditer(r"^  (-[^\s]+)", text, re.M):
        names.update(n for n in m.group(1).split(",") if n.startswith("-"))
    return names


def command_names(text):
    m = re.search(r"^subcommands:\n((?:  .*\n?)*)", text, re.M | re.I)
    return [l.split()[0] for l in m.group(1).splitlines()] if m else []


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    binary, page_path = argv[1:]
    with gzip.open(page_path, "rt", encoding="utf-8") as f:
        roff = f.read()
    # Plain text of the page: font escapes gone, \- a hyphen.
    page = re.sub(r"\\f[BIRP]", "", roff).replace("\\-", "-")
    page = page.replace("\\&", "").replace("\\e", "\\")

    top = help_text(binary)
    commands = command_names(top)
    errors = []
    if not commands:
        errors.append("`memstats --help` lists no subcommands")
    shown = {"": option_names(top)}
    for cmd in commands:
        shown[cmd] = option_names(help_text(binary, cmd))
        if not re.search(rf"^\.SS {re.escape(cmd)}\s*$", roff, re.M):
            errors.append(f"command '{cmd}' has no '.SS {cmd}' section")
    for cmd, names in sorted(shown.items()):
        for name in sorted(names):
            if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", page):
                where = f"memstats {cmd} --help" if cmd else "memstats --help"
                errors.append(f"{name} (shown by `{where}`) is not in the page")
    known = set().union(*shown.values())
    for name in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", page))):
        if name not in known:
            errors.append(f"the page mentions {name}, which no --help shows")
    for e in errors:
        print(f"check_manpage.py: {e}", file=sys.stderr)
    if errors:
        sys.exit(1)
    total = sum(len(n) for n in shown.values())
    print(f"check_manpage.py: {total} options of {len(commands)} commands "
          f"and the top level, all in {page_path}")


if __name__ == "__main__":
    main(sys.argv)
