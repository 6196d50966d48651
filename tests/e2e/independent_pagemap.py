#!/usr/bin/python3
"""Independent page-level checker for memstats (stdlib only, needs root).

Reads /proc/PID/maps, /proc/PID/pagemap, /proc/kpageflags and /proc/kpagecount
itself and prints, per group of pids, the page-set numbers defined in
/work/shared/DESIGN.md (bytes):

  rss        distinct PFNs referenced by the group's processes x 4096
  anon_rss / shmem_rss / file_rss   the same, by kind of page
  uss        pages referenced only by this group's processes (among the pids
             given) AND whose reference count from the given processes (each
             pagemap entry counts once) equals kpagecount: nothing else maps it
  anon_uss / shmem_uss / file_uss   the same, by kind
  pss_kpagecount  sum over entries of 4096 / kpagecount (informational only:
             kpagecount is averaged over large folios)

Rules: only present entries (bit 63) with a nonzero PFN; pages flagged
ZERO_PAGE (bit 24) or NOPAGE (bit 20) are skipped; hugetlb pages (HUGE bit 17
without THP bit 22) are skipped; kind = anon if ANON (bit 12), else shmem if
SWAPBACKED (bit 14), else file. [vsyscall] is skipped.

Usage:
  independent_pagemap.py --group parent=123 --group children=124,125,126
Output: {"page_size":4096,"groups":{"parent":{...},...},"totals":{...},
         "skipped":{"zero_page_entries":N,"nopage_entries":N,"hugetlb_entries":N}}
"totals" treats all given pids as one group.
Exit status 2 on errors (a pid vanished, pagemap without PFNs, ...).
"""

import argparse
import json
import os
import struct
import sys

PAGE = 4096
PRESENT = 1 << 63
PFN_MASK = (1 << 55) - 1
KPF_ANON = 1 << 12
KPF_SWAPBACKED = 1 << 14
KPF_HUGE = 1 << 17
KPF_NOPAGE = 1 << 20
KPF_THP = 1 << 22
KPF_ZERO_PAGE = 1 << 24
CHUNK_PAGES = 1 << 16  # 512 KiB of pagemap per read
KINDS = ("anon", "shmem", "file")


def fail(msg):
    print("independent_pagemap.py: " + msg, file=sys.stderr)
    sys.exit(2)


def read_vmas(pid):
    """Returns [(start, end)] of the process's mappings, without [vsyscall]."""
    vmas = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) >= 6 and fields[5].strip() == "[vsyscall]":
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            vmas.append((start, end))
    return vmas


def read_pfns(pid):
    """Returns the list of PFNs of present entries (one per entry, so a page
    mapped twice by the process appears twice) and the count of present
    entries whose PFN reads as 0."""
    pfns = []
    zero_pfn_entries = 0
    fd = os.open("/proc/%d/pagemap" % pid, os.O_RDONLY)
    try:
        for start, end in read_vmas(pid):
            page = start // PAGE
            last = end // PAGE
            while page < last:
                n = min(CHUNK_PAGES, last - page)
                data = os.pread(fd, n * 8, page * 8)
                if len(data) != n * 8:
                    # The mapping went away under us: the process is changing.
                    fail("short pagemap read for pid %d at 0x%x" % (pid, page * PAGE))
                for e in struct.unpack("<%dQ" % n, data):
                    if e & PRESENT:
                        pfn = e & PFN_MASK
                        if pfn:
                            pfns.append(pfn)
                        else:
                            zero_pfn_entries += 1
                page += n
    finally:
        os.close(fd)
    return pfns, zero_pfn_entries


def read_kpage(path, sorted_pfns):
    """Returns {pfn: u64} from /proc/kpageflags or /proc/kpagecount, reading
    runs of nearby PFNs with one pread each."""
    out = {}
    fd = os.open(path, os.O_RDONLY)
    try:
        i = 0
        n = len(sorted_pfns)
        while i < n:
            first = sorted_pfns[i]
            j = i
            # Extend the run while the next PFN is close (gap <= 512 pages)
            # and the run stays below 64K entries.
            while (j + 1 < n and sorted_pfns[j + 1] - sorted_pfns[j] <= 512
                   and sorted_pfns[j + 1] - first < CHUNK_PAGES):
                j += 1
            count = sorted_pfns[j] - first + 1
            data = os.pread(fd, count * 8, first * 8)
            if len(data) != count * 8:
                fail("short read of %s at pfn %d" % (path, first))
            values = struct.unpack("<%dQ" % count, data)
            for k in range(i, j + 1):
                out[sorted_pfns[k]] = values[sorted_pfns[k] - first]
            i = j + 1
    finally:
        os.close(fd)
    return out


def parse_groups(specs):
    groups = []
    seen = set()
    for spec in specs:
        name, sep, pids = spec.partition("=")
        if not sep or not name:
            fail("bad --group %r (want NAME=pid,pid,...)" % spec)
        if any(name == g[0] for g in groups):
            fail("group %r given twice" % name)
        plist = [int(p) for p in pids.split(",") if p.strip()]
        for p in plist:
            if p in seen:
                fail("pid %d is in two groups" % p)
            seen.add(p)
        groups.append((name, plist))
    return groups


def empty_numbers():
    d = {"processes": 0, "rss": 0, "uss": 0, "pss_kpagecount": 0.0}
    for k in KINDS:
        d[k + "_rss"] = 0
        d[k + "_uss"] = 0
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", action="append", required=True,
                    help="NAME=pid,pid,... (repeatable)")
    args = ap.parse_args()
    groups = parse_groups(args.group)

    # Per pid: PFN list. Per PFN: total references from all given pids, and
    # the set of group indexes that reference it.
    refs = {}
    owners = {}
    per_group_entries = [[] for _ in groups]
    for gi, (_, plist) in enumerate(groups):
        for pid in plist:
            try:
                pfns, zero_pfn = read_pfns(pid)
            except (FileNotFoundError, ProcessLookupError):
                fail("pid %d vanished" % pid)
            if zero_pfn:
                fail("pid %d: %d present entries with PFN 0: no CAP_SYS_ADMIN?"
                     % (pid, zero_pfn))
            per_group_entries[gi].append(pfns)
            for pfn in pfns:
                refs[pfn] = refs.get(pfn, 0) + 1
                o = owners.get(pfn)
                if o is None:
                    owners[pfn] = {gi}
                else:
                    o.add(gi)

    sorted_pfns = sorted(refs)
    flags = read_kpage("/proc/kpageflags", sorted_pfns)
    counts = read_kpage("/proc/kpagecount", sorted_pfns)

    skipped = {"zero_page_entries": 0, "nopage_entries": 0, "hugetlb_entries": 0}
    kind_of = {}
    for pfn in sorted_pfns:
        f = flags[pfn]
        if f & KPF_ZERO_PAGE:
            kind_of[pfn] = "zero"
        elif f & KPF_NOPAGE:
            kind_of[pfn] = "nopage"
        elif (f & KPF_HUGE) and not (f & KPF_THP):
            kind_of[pfn] = "hugetlb"
        elif f & KPF_ANON:
            kind_of[pfn] = "anon"
        elif f & KPF_SWAPBACKED:
            kind_of[pfn] = "shmem"
        else:
            kind_of[pfn] = "file"
    for pfn, n in refs.items():
        k = kind_of[pfn]
        if k == "zero":
            skipped["zero_page_entries"] += n
        elif k == "nopage":
            skipped["nopage_entries"] += n
        elif k == "hugetlb":
            skipped["hugetlb_entries"] += n

    def numbers(group_indexes):
        d = empty_numbers()
        distinct = set()
        for gi in group_indexes:
            d["processes"] += len(groups[gi][1])
            for pfns in per_group_entries[gi]:
                for pfn in pfns:
                    k = kind_of[pfn]
                    if k not in KINDS:
                        continue
                    distinct.add(pfn)
                    c = counts[pfn]
                    d["pss_kpagecount"] += PAGE / c if c else PAGE
        gset = set(group_indexes)
        for pfn in distinct:
            k = kind_of[pfn]
            d["rss"] += PAGE
            d[k + "_rss"] += PAGE
            if owners[pfn] <= gset and refs[pfn] == counts[pfn]:
                d["uss"] += PAGE
                d[k + "_uss"] += PAGE
        d["pss_kpagecount"] = round(d["pss_kpagecount"])
        return d

    out = {"page_size": PAGE, "groups": {}, "skipped": skipped}
    for gi, (name, _) in enumerate(groups):
        out["groups"][name] = numbers([gi])
    out["totals"] = numbers(range(len(groups)))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
