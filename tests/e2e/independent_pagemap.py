#!/usr/bin/python3
"""Independent page-level checker for memstats (stdlib only, needs root).

It shares as few definitions with memstats as it can: it never reads
/proc/kpageflags or /proc/kpagecount. Kinds come from the mapping (smaps and
maps fields, the process's mountinfo) plus pagemap bit 61, checked against the
kernel's own smaps per-mapping counters; USS comes from PFN set differences
over a scan of every process on the system (every numeric /proc entry that
is not a kernel thread, the checker itself included): for each page a group
maps it keeps which groups map it and whether any process outside them does,
and for KSM candidates the number of page-table entries. Numbers are bytes.

Usage:
  independent_pagemap.py --group parent=123 --group children=124,125,126
"totals" treats all given pids as one group. Exit status 2 on errors: a
group's pid vanished, pagemap without PFNs, or a smaps cross-check mismatch
(then the JSON is still printed, with the mismatches, before the message).

Output: {"page_size", "groups": {NAME: NUMBERS}, "totals": NUMBERS,
         "skipped", "zero_pfns", "scan", "crosscheck"}. NUMBERS:
  processes  number of pids in the group
  rss        distinct PFNs referenced by the group's processes x page size;
             without zero pages, hugetlb pages and VM_PFNMAP/VM_IO mappings
  anon_rss / shmem_rss / file_rss   the same, by kind (rules below)
  uss        the group's pages that no process outside the group maps: PFN
             set difference against every other process on the system
  anon_uss / shmem_uss / file_uss   the same, by kind
  swap_rss   distinct swap entries (type, offset) of the group: pagemap
             entries with bit 62 and a type below the number of swap areas in
             /proc/swaps (higher types are migration, hwpoison, markers;
             after swapoff of a lower-numbered area a live area's type can
             reach that count and would be missed: tests swapon one area)
  swap_uss   the group's swap entries that no process outside it references
  ksm_rss    distinct KSM pages the group maps (rule below); null when the
             kernel's smaps has no KSM field
  hugetlb    sum of smaps Shared_Hugetlb + Private_Hugetlb of the members:
             a hugetlb page two members share counts once PER PROCESS here
             (smaps gives no page identity for it and pagemap entries of
             hugetlb mappings are left out of everything above)
  smaps      sums over the members' smaps mappings, bytes: rss, pss,
             anonymous, anon_huge_pages, shmem_pmd_mapped, ksm (when the
             kernel prints KSM), swap, swap_pss, shared_hugetlb,
             private_hugetlb, shared (Shared_Clean + Shared_Dirty), private
             (Private_Clean + Private_Dirty)
Other keys:
  skipped    present entries left out: zero_page_entries (small and huge
             zero page), huge_zero_page_entries (the huge part of it),
             nopage_entries (VM_PFNMAP/VM_IO mappings, e.g. [vvar]: no page
             behind them, smaps counts nothing there), hugetlb_entries
  zero_pfns  {"zero_page": PFN, "huge_zero_page": first PFN}, each null
             when the kernel did not map it for the checker's probe
  scan       processes (read in the whole-system scan, groups included),
             kernel_threads, vanished, unreadable (other processes that
             exited or could not be read mid-scan: their pages are missing
             from "outside"), swap_areas, seconds
  crosscheck mappings_checked, smaps_rereads (smaps changed while pagemap
             was read, read again), kind_conflicts (a PFN classified two
             ways), mismatches (list of strings; non-empty means exit 2)

Kind rules (no kpageflags): a present entry of a private mapping with bit 61
("file-page or shared-anon") clear is anon: heap, stack, private anonymous
memory, copy-on-write copies, KSM pages. Otherwise the mapping decides:
shmem for /dev/zero (deleted) (MAP_SHARED|MAP_ANONYMOUS), /SYSV* segments,
/memfd:*, [anon_shmem:*], and files on a tmpfs mount; file for everything
else (page cache, [vdso], device mappings that have pages). tmpfs is found by
the mapping's device in the process's own /proc/PID/mountinfo: device major 0
alone is wrong (overlayfs, btrfs, fuse, nfs use anonymous devices too) and
statfs of the path fails for deleted files and other mount namespaces.
devtmpfs is shmem-backed too, but what is mapped from /dev is almost always
a device (driver pages), so only tmpfs counts.

Cross-check, per member process and mapping, against the kernel's smaps:
anon entries == Anonymous; present entries (without zero pages) == Rss;
KSM entries == KSM; real-swap entries == Swap (<= Swap for shmem mappings,
whose swapped pages leave pagemap and are added by smaps). smaps is read
before and after pagemap and read again (up to 5 times) while they differ.

Zero pages: found without kpageflags. The checker maps two private
anonymous pages, reads them and reads its own pagemap: when both show the
same PFN, that is the zero page. If THP is enabled and use_zero_page is 1, it
does the same with two 2 MiB-aligned MADV_HUGEPAGE regions: a run of 512
PFNs both share is the huge zero page. When read faults get pages of their
own (seen on this project's 6.18 test machines: every read fault allocates
a fresh anonymous page), "zero_pfns" are null and nothing is excluded; no
kpageflags ZERO_PAGE fallback is needed, because a zero page mapped in a
member anyway (KSM use_zero_pages, a kernel that maps it only sometimes)
makes its mapping's present entries exceed smaps Rss: a cross-check
mismatch, never a silent difference. On architectures with several
(coloured) zero pages the same holds for the ones not found.

Hugetlb: a mapping whose smaps KernelPageSize exceeds the base page, or with
Shared_Hugetlb/Private_Hugetlb, is hugetlb; its entries are not in rss.

KSM rule: a page is KSM when it is an anon entry of a mapping whose smaps KSM
is non-zero and its PFN is referenced by more than one page-table entry over
all processes (in this process or any other). A copy-on-write page shared
after fork in such a mapping would be counted wrongly, and a KSM page left
with one mapper missed: the KSM cross-check then reports a mismatch.

Where this differs from memstats (memstats: a page is outside the group when
kpagecount, the kernel's count of page-table entries mapping it, exceeds the
references of the processes memstats scanned), and why:
- Page tables this scan cannot read: processes in other PID namespaces,
  processes /proc lists but root may not read (PID 1 in a container),
  processes that vanished mid-scan or came and went between the two runs
  (counted in "scan"), an address space kept alive without its process
  (kthread_use_mm users, an exiting task). kpagecount counts their entries;
  here they are not "outside". Pages that are referenced without a page-table
  entry (page cache, pins) are outside in neither rule.
- Observers: memstats's own mappings (libc, ld.so, libstdc++, abseil, tbb)
  are in kpagecount while it runs; this checker's own process (python, libc,
  libm) is in this scan instead. Both can only move file pages of shared
  libraries in and out of file_uss.
- Large folios (THP, large page-cache folios): on kernels built with
  CONFIG_NO_PAGE_MAPCOUNT, kpagecount of a page in a large folio is the
  folio's average mapcount, so one page of it mapped by an outsider may read
  as mapped once; the PFN sets here are exact. (This project's 6.18 test
  machine has CONFIG_PAGE_MAPCOUNT=y: per-page counts, no difference.)
- Swap USS: memstats compares the scanned processes only (no kernel count
  for swap entries); here every process on the system.
- hugetlb: memstats counts distinct hugetlb pages; here smaps per process.
Tests compare the two exactly where none of this can touch the pages (the
layout helper's anon and shmem pages, its own executable) and say why
elsewhere (tests/e2e/e2e_test.cc, kPageFields).
"""

import argparse
import json
import os
import sys
import time

from pagemap_io import (PAGE, PFN_MASK, PRESENT, ProbeError, Vanished,
                        find_zero_pfns, kernel_thread, mount_fstypes,
                        open_pagemap, pagemap_chunks, read_smaps, read_vmas,
                        swap_areas)

KINDS = ("anon", "shmem", "file")
SHMEM_FSTYPES = ("tmpfs",)
SMAPS_KEYS = (("Rss", "rss"), ("Pss", "pss"), ("Anonymous", "anonymous"),
              ("AnonHugePages", "anon_huge_pages"),
              ("ShmemPmdMapped", "shmem_pmd_mapped"), ("KSM", "ksm"),
              ("Swap", "swap"), ("SwapPss", "swap_pss"),
              ("Shared_Hugetlb", "shared_hugetlb"),
              ("Private_Hugetlb", "private_hugetlb"))
SKIPPED = ("zero_page_entries", "huge_zero_page_entries", "nopage_entries",
           "hugetlb_entries")


def fail(msg):
    """Prints msg on stderr and exits with status 2."""
    print("independent_pagemap.py: " + msg, file=sys.stderr)
    sys.exit(2)


def mapping_kind(m, fstypes):
    """The kind of a page of m that is not private anonymous (bit 61 set,
    or a shared mapping)."""
    p = m.path
    if (p == "/dev/zero (deleted)" or p.startswith("/SYSV")
            or p.startswith("/memfd:") or p.startswith("[anon_shmem:")):
        return "shmem"
    if m.inode and fstypes.get(m.dev) in SHMEM_FSTYPES:
        return "shmem"
    if not m.inode and not m.private and (p == "" or p.startswith("[anon:")):
        return "shmem"
    return "file"


class Member:
    """One group process, read and cross-checked against its smaps."""

    def __init__(self, pid):
        self.pid = pid
        self.refs = []       # PFN of every counted present entry
        self.kind_of = {}    # PFN -> kind
        self.swaps = []      # swap keys (type << 50 | offset)
        self.smaps = {}      # summed smaps fields, kB
        self.ksm_maps = []   # (Mapping, [PFN of its anon entries])
        self.checks = []     # (Mapping, present, anon, swap, kind)
        self.skipped = dict.fromkeys(SKIPPED, 0)
        self.kind_conflicts = 0


def read_member(pid, zero_set, huge_set, nr_swap, ns_cache, stats):
    """Reads smaps, pagemap and smaps again (until both smaps agree) and
    returns a Member with its entries classified."""
    for attempt in range(6):
        if attempt == 5:
            stats["crosscheck"]["mismatches"].append(
                "pid %d: smaps kept changing while pagemap was read" % pid)
            break
        maps = read_smaps(pid)
        fstypes = mount_fstypes(pid, ns_cache)
        mem = Member(pid)
        fd = open_pagemap(pid)
        try:
            for m in maps:
                read_mapping(fd, m, mem, zero_set, huge_set, nr_swap,
                             fstypes)
        finally:
            os.close(fd)
        again = read_smaps(pid)
        if [m.key() for m in maps] == [m.key() for m in again]:
            break
        stats["crosscheck"]["smaps_rereads"] += 1
    for k, n in mem.skipped.items():
        stats["skipped"][k] += n
    stats["crosscheck"]["kind_conflicts"] += mem.kind_conflicts
    for m in maps:
        for name, _ in SMAPS_KEYS:
            if name in m.kb:
                mem.smaps[name] = mem.smaps.get(name, 0) + m.kb[name]
        for pair in ("Shared", "Private"):
            mem.smaps[pair] = (mem.smaps.get(pair, 0) + m.kb[pair + "_Clean"]
                               + m.kb[pair + "_Dirty"])
    return mem


def read_mapping(fd, m, mem, zero_set, huge_set, nr_swap, fstypes):
    """Adds the entries of mapping m to mem (see the kind rules)."""
    skipped = mem.skipped
    if m.path == "[vsyscall]":
        return
    hugetlb = (m.kb.get("KernelPageSize", 4) * 1024 > PAGE
               or m.kb.get("Shared_Hugetlb", 0)
               or m.kb.get("Private_Hugetlb", 0))
    nopage = "pf" in m.vmflags or "io" in m.vmflags
    mkind = mapping_kind(m, fstypes)
    present = anon = swap = 0
    anon_pfns = [] if m.kb.get("KSM") else None
    refs, kind_of, swaps = mem.refs, mem.kind_of, mem.swaps
    for _, entries in pagemap_chunks(fd, m.start, m.end):
        for e in entries:
            if e & PRESENT:
                pfn = e & PFN_MASK
                if not pfn:
                    fail("pid %d: present entry with PFN 0: no CAP_SYS_ADMIN?"
                         % mem.pid)
                if hugetlb:
                    skipped["hugetlb_entries"] += 1
                    continue
                if nopage:
                    skipped["nopage_entries"] += 1
                    continue
                if pfn in zero_set or pfn in huge_set:
                    skipped["zero_page_entries"] += 1
                    if pfn in huge_set:
                        skipped["huge_zero_page_entries"] += 1
                    continue
                present += 1
                if m.private and not (e >> 61) & 1:
                    kind = "anon"
                    anon += 1
                    if anon_pfns is not None:
                        anon_pfns.append(pfn)
                else:
                    kind = mkind
                refs.append(pfn)
                old = kind_of.setdefault(pfn, kind)
                if old != kind:
                    mem.kind_conflicts += 1
            elif (e >> 62) & 1 and (e & 31) < nr_swap:
                swap += 1
                swaps.append((e & PFN_MASK) >> 5 | (e & 31) << 50)
    if anon_pfns is not None:
        mem.ksm_maps.append((m, anon_pfns))
    if not nopage:
        mem.checks.append((m, 0 if hugetlb else present, anon, swap, mkind))


def crosscheck(mem, ksm_set, stats):
    """Compares mem's per-mapping counts with its smaps; appends messages
    to stats["crosscheck"]["mismatches"]."""
    cc = stats["crosscheck"]
    kb = PAGE // 1024

    def expect(m, what, got, want, op="=="):
        """Records a mismatch unless got op want."""
        if (got != want) if op == "==" else (got > want):
            cc["mismatches"].append(
                "pid %d %x-%x %s: %s %d kB from pagemap, smaps says %d kB "
                "(want %s)" % (mem.pid, m.start, m.end, m.path or "[anon]",
                               what, got, want, op))

    for m, present, anon, swap, mkind in mem.checks:
        cc["mappings_checked"] += 1
        expect(m, "present", present * kb, m.kb.get("Rss", 0))
        expect(m, "anonymous", anon * kb, m.kb.get("Anonymous", 0))
        expect(m, "swap", swap * kb, m.kb.get("Swap", 0),
               "<=" if mkind == "shmem" else "==")
    if ksm_set is not None:
        for m, pfns in mem.ksm_maps:
            got = sum(1 for p in pfns if p in ksm_set)
            expect(m, "KSM", got * kb, m.kb.get("KSM", 0))


def read_other(pid, nr_swap):
    """PFNs of present entries (one per entry) and swap keys of a process
    outside the groups."""
    vmas = read_vmas(pid)
    pfns, swaps = [], []
    fd = open_pagemap(pid)
    try:
        for start, end in vmas:
            for _, entries in pagemap_chunks(fd, start, end):
                pfns.extend([e & PFN_MASK for e in entries if e >> 63])
                if nr_swap:
                    swaps.extend([(e & PFN_MASK) >> 5 | (e & 31) << 50
                                  for e in entries
                                  if e >> 62 == 1 and (e & 31) < nr_swap])
    finally:
        os.close(fd)
    return pfns, swaps


def parse_groups(specs):
    """[(name, [pid])] from the --group NAME=PID,PID,... arguments."""
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


def numbers(members, pfns, swaps, outside_pfns, outside_swaps, kind_of,
            ksm_set):
    """The NUMBERS object of one group: members are its Member objects,
    pfns/swaps its sets, outside_* what processes outside it reference."""
    d = {"processes": len(members), "rss": 0, "uss": 0,
         "swap_rss": len(swaps) * PAGE,
         "swap_uss": len(swaps - outside_swaps) * PAGE,
         "ksm_rss": None if ksm_set is None else len(pfns & ksm_set) * PAGE}
    for k in KINDS:
        d[k + "_rss"] = d[k + "_uss"] = 0
    uss = pfns - outside_pfns
    for pfn in pfns:
        d[kind_of[pfn] + "_rss"] += PAGE
    for pfn in uss:
        d[kind_of[pfn] + "_uss"] += PAGE
    d["rss"] = len(pfns) * PAGE
    d["uss"] = len(uss) * PAGE
    sm = {}
    for mem in members:
        for name, value in mem.smaps.items():
            sm[name] = sm.get(name, 0) + value * 1024
    out = {key: sm[name] for name, key in SMAPS_KEYS if name in sm}
    out["shared"] = sm.get("Shared", 0)
    out["private"] = sm.get("Private", 0)
    d["smaps"] = out
    d["hugetlb"] = out.get("shared_hugetlb", 0) + out.get("private_hugetlb", 0)
    return d


def main():
    """Reads the groups, scans the system, prints the JSON document."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", action="append", required=True,
                    help="NAME=pid,pid,... (repeatable)")
    args = ap.parse_args()
    groups = parse_groups(args.group)
    began = time.monotonic()

    try:
        zero, huge, huge_pages = find_zero_pfns()
    except ProbeError as e:
        fail(str(e))
    zero_set = {zero} if zero is not None else set()
    huge_set = set(range(huge, huge + huge_pages)) if huge is not None \
        else set()
    nr_swap = swap_areas()
    stats = {"skipped": dict.fromkeys(SKIPPED, 0),
             "crosscheck": {"mappings_checked": 0, "smaps_rereads": 0,
                            "kind_conflicts": 0, "mismatches": []},
             "scan": {"processes": 0, "kernel_threads": 0, "vanished": 0,
                      "unreadable": 0, "swap_areas": nr_swap}}
    ns_cache = {}
    members = []  # per group: [Member]
    for _, plist in groups:
        ms = []
        for pid in plist:
            try:
                ms.append(read_member(pid, zero_set, huge_set, nr_swap,
                                      ns_cache, stats))
            except Vanished:
                fail("pid %d vanished" % pid)
            except OSError as e:
                fail("pid %d cannot be read: %s" % (pid, e))
        members.append(ms)
    stats["scan"]["processes"] += sum(len(p) for _, p in groups)

    kind_of = {}
    gpfns, gswaps = [], []
    for ms in members:
        pf, sw = set(), set()
        for mem in ms:
            pf.update(mem.refs)
            sw.update(mem.swaps)
            for pfn, kind in mem.kind_of.items():
                if kind_of.setdefault(pfn, kind) != kind:
                    stats["crosscheck"]["kind_conflicts"] += 1
        gpfns.append(pf)
        gswaps.append(sw)
    all_pfns = set().union(*gpfns)
    all_swaps = set().union(*gswaps)

    # Page-table references per KSM candidate, over every process.
    cand = {p for ms in members for mem in ms for _, l in mem.ksm_maps
            for p in l}
    ksm_refs = dict.fromkeys(cand, 0)
    for ms in members:
        for mem in ms:
            for p in mem.refs:
                if p in ksm_refs:
                    ksm_refs[p] += 1

    # The whole-system scan: what every other process references.
    in_groups = {p for _, plist in groups for p in plist}
    outside_pfns, outside_swaps = set(), set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in in_groups:
            continue
        pid = int(name)
        try:
            if kernel_thread(pid):
                stats["scan"]["kernel_threads"] += 1
                continue
            pfns, swaps = read_other(pid, nr_swap)
        except (Vanished, FileNotFoundError, ProcessLookupError):
            stats["scan"]["vanished"] += 1
            continue
        except OSError:
            stats["scan"]["unreadable"] += 1
            continue
        stats["scan"]["processes"] += 1
        outside_pfns.update(all_pfns.intersection(pfns))
        outside_swaps.update(all_swaps.intersection(swaps))
        if ksm_refs:
            for p in pfns:
                if p in ksm_refs:
                    ksm_refs[p] += 1

    ksm_set = {p for p, n in ksm_refs.items() if n > 1}
    if not any("KSM" in mem.smaps for ms in members for mem in ms):
        ksm_set = None  # kernel without the smaps KSM field
    for ms in members:
        for mem in ms:
            crosscheck(mem, ksm_set, stats)

    out = {"page_size": PAGE, "groups": {}, "skipped": stats["skipped"],
           "zero_pfns": {"zero_page": zero, "huge_zero_page": huge},
           "scan": stats["scan"], "crosscheck": stats["crosscheck"]}
    for gi, (name, _) in enumerate(groups):
        others = set().union(*(gpfns[j] for j in range(len(groups))
                               if j != gi))
        other_swaps = set().union(*(gswaps[j] for j in range(len(groups))
                                    if j != gi))
        out["groups"][name] = numbers(
            members[gi], gpfns[gi], gswaps[gi], outside_pfns | others,
            outside_swaps | other_swaps, kind_of, ksm_set)
    out["totals"] = numbers([m for ms in members for m in ms], all_pfns,
                            all_swaps, outside_pfns, outside_swaps, kind_of,
                            ksm_set)
    stats["scan"]["seconds"] = round(time.monotonic() - began, 3)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    if stats["crosscheck"]["mismatches"]:
        fail("smaps cross-check failed:\n  "
             + "\n  ".join(stats["crosscheck"]["mismatches"]))


if __name__ == "__main__":
    main()
