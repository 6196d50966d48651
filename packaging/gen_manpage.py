#!/usr/bin/env python3
"""Writes memstats(1), gzipped, from packaging/memstats.1.in and --help.

Usage: gen_manpage.py MEMSTATS_BINARY TEMPLATE OUTPUT.1.gz VERSION

The template is hand-written roff. A line "@OPTIONS@" becomes the options
of `memstats --help`, a line "@OPTIONS CMD@" those of `memstats CMD --help`,
and "@VERSION@" the version. Every subcommand that `memstats --help` lists
must have its "@OPTIONS CMD@" line, and every such line must name a
subcommand: a new command cannot be left out of the page.

The help text is CLI11's: section headings ("OPTIONS:", "POSITIONALS:",
"SUBCOMMANDS:") at column 0, entries indented by two spaces with the name
(and the option's value text) padded to a column, then the description;
a name too long for the column puts the description on the next line,
and continuation lines are indented further.
"""
import gzip
import re
import subprocess
import sys


def run_help(binary, *args):
    out = subprocess.run([binary, *args, "--help"], check=True,
                         capture_output=True, text=True).stdout
    return out


def parse_help(text):
    """Returns {section heading (lower case): [(name, description)]}."""
    sections = {}
    current = None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            current = sections.setdefault(line[:-1].strip().lower(), [])
            continue
        if current is None or not line.strip():
            continue
        if re.match(r"^  \S", line):
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            current.append([parts[0], parts[1] if len(parts) > 1 else ""])
        elif current:  # continuation of the last description
            sep = " " if current[-1][1] else ""
            current[-1][1] += sep + line.strip()
    return sections


def roff_text(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text[:1] in (".", "'"):
        text = "\\&" + text
    return text


def roff_option(name, positional):
    """'-g,--group-by G' -> '\\fB\\-g\\fR, \\fB\\-\\-group\\-by\\fR \\fIG\\fR'."""
    names, _, value = name.partition(" ")
    if positional:
        shown = "\\fI" + roff_text(value or names) + "\\fR"
        return shown
    shown = ", ".join("\\fB" + roff_text(n) + "\\fR" for n in names.split(","))
    if value:
        shown += " \\fI" + roff_text(value) + "\\fR"
    return shown


def roff_options(sections):
    lines = []
    for heading, positional in (("positionals", True), ("options", False)):
        for name, desc in sections.get(heading, []):
            lines += [".TP", roff_option(name, positional), roff_text(desc)]
    return lines


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    binary, template, output, version = argv[1:]
    top = parse_help(run_help(binary))
    commands = [name.split()[0] for name, _ in top.get("subcommands", [])]
    if not commands:
        sys.exit("gen_manpage.py: `memstats --help` lists no subcommands")
    out = []
    used = set()
    with open(template, encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = re.fullmatch(r"@OPTIONS(?: (\S+))?@", line)
            if not m:
                out.append(line.replace("@VERSION@", version))
                continue
            cmd = m.group(1)
            if cmd is None:
                out += roff_options(top)
                continue
            if cmd not in commands:
                sys.exit(f"gen_manpage.py: {template} has @OPTIONS {cmd}@ "
                         f"but memstats has no command '{cmd}'")
            used.add(cmd)
            out += roff_options(parse_help(run_help(binary, cmd)))
    missing = [c for c in commands if c not in used]
    if missing:
        sys.exit(f"gen_manpage.py: {template} has no @OPTIONS CMD@ line for "
                 f"the command(s) {', '.join(missing)}")
    data = ("\n".join(out) + "\n").encode("utf-8")
    # mtime=0 and no file name: the same bytes on every build (lintian and
    # reproducible builds want that).
    with open(output, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=9) as gz:
            gz.write(data)


if __name__ == "__main__":
    main(sys.argv)
