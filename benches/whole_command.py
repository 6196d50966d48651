#!/usr/bin/env python3
"""Whole-command benchmark: memstats against the pagemap floor, same processes.

Starts a workload of known shape with the project's layout helper
(tests/e2e/layout_helper.cc), then in one run times
  - benches/pagemap_floor (plain pagemap reads, one per mapping; with
    --merge, one per stretch of adjacent small mappings, as memstats reads
    them; with --scan, PAGEMAP_SCAN
    first), the cost floor of page-level accounting; --scan-only (the
    PAGEMAP_SCAN ranges alone, no entry read), the limit of a scan that
    takes shared objects' PFNs from a cache (ObjectPages), and
  - memstats groups with three splitters (uid, an env variable, comm),
each with 1 and 2 threads on the same processes, and prints the ratios and
memstats's peak RSS (from wait4 of the child). Needs root. Usage:

  sudo benches/whole_command.py [--build build] [--scenario NAME ...]
                                [--baseline OTHER_BUILD]
  sudo benches/whole_command.py --capture [--scenario NAME ...]
  sudo benches/whole_command.py --top [--scenario NAME ...]

With --capture it times instead, on the whole machine (a capture holds
every process), `memstats groups`, `memstats capture -o FILE` and
`memstats --from FILE groups` with the same splitters, and prints the
capture's cost as a ratio to the groups scan, the replay's, and the
capture's size per present page (the pages of every process captured).

With --top it times `memstats top` and `memstats snapshot` of the
workload's processes against their floor: reading every process's smaps
once (pagemap_floor --smaps; and --rollup, smaps_rollup once, for
comparison), top with the pss column (smaps_rollup read too, as every
top did before 2026-12-05), and the cost of a loop round with -k (`top -l ... -k 100`:
rounds 2 to 4, from the time of 4 rounds less the time of 1).
shared200 (or the quicker shared20) is the shared-heavy workload, dense
the private-heavy one.

Scenarios: shared200 (200 processes, each mapping ~1.2 GB of shared
anonymous, SysV, file and copy-on-write memory), sparse (20 processes that
each reserve 64 GiB and touch 256 MiB) and dense (20 processes that each
touch 256 MiB: what sparse must cost), big8g (60 processes sharing 8 GB; slow
to set up, run it by name), small1000 (1000 processes of 1 MiB private:
the fixed cost per process) and private50 (50 processes x 300 MiB private).
"""
import argparse
import os
import subprocess
import sys
import time

SCENARIOS = {
    "shared200": dict(children=199, shared=400, sysv=300, file=300, cow=200,
                      child_private=8),
    "sparse": dict(children=19, reserve_gib=64, reserve_touch=256),
    "dense": dict(children=19, child_private=256),
    "big8g": dict(children=59, shared=4096, sysv=2048, file=1024, cow=1024,
                  child_private=8),
    # 1000 small processes (1 MiB private each): the per-process cost.
    "small1000": dict(children=999, child_private=1),
    # closer to life on a private-heavy host: 50 processes with 300 MiB of
    # private memory each, beside the shared libraries they map.
    "private50": dict(children=49, child_private=300),
    # shared200's layout with 20 processes: quicker to set up.
    "shared20": dict(children=19, shared=400, sysv=300, file=300, cow=200,
                     child_private=8),
}
DEFAULT = ["shared200", "sparse", "dense"]


def start_helper(build, shape):
    args = [os.path.join(build, "tests/e2e/memstats_layout_helper"),
            "--children", str(shape["children"])]
    for key, flag in [("shared", "--shared-mib"), ("sysv", "--sysv-mib"),
                      ("file", "--file-mib"), ("cow", "--cow-mib"),
                      ("child_private", "--child-private-mib"),
                      ("reserve_gib", "--reserve-gib"),
                      ("reserve_touch", "--reserve-touch-mib")]:
        if key in shape:
            args += [flag, str(shape[key])]
    env = dict(os.environ, MEMSTATS_E2E_ROLE="parent")
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, text=True)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        sys.exit("layout helper failed: " + line)
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    pids = [fields["parent"]] + [p for p in fields["children"].split(",") if p]
    return proc, pids


def run(argv):
    """Runs argv; returns (wall seconds, peak RSS in MiB, stdout)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: " + " ".join(argv))
    return wall, usage.ru_maxrss / 1024.0, out


def run_capture(argv):
    """Runs a capture; returns (wall seconds, present pages it reports)."""
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, check=True)
    wall = time.monotonic() - t0
    # "memstats: captured N processes, P present pages, into ..."
    pages = int(r.stderr.split(" present pages")[0].split()[-1])
    return wall, pages


def capture_table(a, memstats):
    """Capture cost, replay cost and size per present page."""
    split = ["groups", "--split-uid", "--split-env", "MEMSTATS_E2E_ROLE",
             "--split-comm", "--json"]
    print("| scenario | threads | groups s | capture s | capture/groups "
          "| replay s | replay/groups | file bytes | present pages "
          "| bytes/page |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    path = "/tmp/memstats_bench.msnap"
    for name in a.scenario or ["shared20", "dense"]:
        helper, _ = start_helper(a.build, SCENARIOS[name])
        try:
            for threads in (1, 2):
                t = ["--threads", str(threads)]
                groups, capture, replay, pages = [], [], [], 0
                for _ in range(a.repeat):
                    groups.append(run([memstats] + t + split)[0])
                    wall, pages = run_capture(
                        [memstats] + t + ["capture", "-o", path, "--env",
                         "MEMSTATS_E2E_ROLE"])
                    capture.append(wall)
                    replay.append(
                        run([memstats, "--from", path] + t + split)[0])
                g, c, r = min(groups), min(capture), min(replay)
                size = os.path.getsize(path)
                print("| %s | %d | %.3f | %.3f | %.2f | %.3f | %.2f | %d | %d "
                      "| %.2f |" % (name, threads, g, c, c / g, r, r / g, size,
                                    pages, size / max(pages, 1)), flush=True)
        finally:
            helper.stdin.close()
            helper.wait()
            if os.path.exists(path):
                os.remove(path)


def top_table(a, memstats, floor):
    """top and snapshot against one smaps read of the same processes."""
    print("| scenario | threads | smaps s | rollup s | top s | top/smaps "
          "| top with pss s | top with pss/smaps "
          "| snapshot s | snapshot/smaps | -k round s | -k round/smaps |")
    print("| --- " * 12 + "|")
    for name in a.scenario or ["shared200"]:
        helper, pids = start_helper(a.build, SCENARIOS[name])
        try:
            for threads in (1, 2):
                t = ["--threads", str(threads)]
                f = ["--filter", "descendants(%s)" % pids[0]] + t
                loop = [memstats] + f + ["top", "--json", "-l", "0.001",
                                         "-k", "100", "--rounds"]
                commands = [[floor, "--smaps"] + t + pids,
                            [floor, "--rollup"] + t + pids,
                            [memstats] + f + ["top", "--json"],
                            [memstats] + f + ["top", "--json", "--columns",
                                              "ptotal,pss"],
                            [memstats] + f + ["snapshot", "--json"],
                            loop + ["1"], loop + ["4"]]
                (s, _, _), (r, _, _), (tp, _, _), (tw, _, _), (sn, _, _), (
                    l1, _, _), (l4, _, _) = interleaved(commands, a.repeat)
                k = max(l4 - l1, 0) / 3
                print("| %s | %d | %.3f | %.3f | %.3f | %.2f | %.3f | %.2f "
                      "| %.3f | %.2f | %.3f | %.2f |" % (
                          name, threads, s, r, tp, tp / s, tw, tw / s, sn,
                          sn / s, k, k / s), flush=True)
        finally:
            helper.stdin.close()
            helper.wait()


def interleaved(commands, repeat):
    """Runs the commands in turn, `repeat` rounds, so that drift in the
    machine's speed (this is a VM) falls on all of them alike. Returns per
    command (fastest wall time, largest peak RSS, first stdout)."""
    results = [[] for _ in commands]
    for _ in range(repeat):
        for i, argv in enumerate(commands):
            results[i].append(run(argv))
    return [(min(r[0] for r in rs), max(r[1] for r in rs), rs[0][2])
            for rs in results]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--scenario", action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--capture", action="store_true",
                    help="time capture and --from against groups instead")
    ap.add_argument("--top", action="store_true",
                    help="time top and snapshot against one smaps read")
    ap.add_argument("--baseline", metavar="BUILD",
                    help="also time BUILD/src/cli/memstats, interleaved on "
                    "the same processes (an older build, to show a change)")
    a = ap.parse_args()
    floor = os.path.join(a.build, "benches/pagemap_floor")
    memstats = os.path.join(a.build, "src/cli/memstats")
    if a.capture:
        capture_table(a, memstats)
        return
    if a.top:
        top_table(a, memstats, floor)
        return
    base = a.baseline and os.path.join(a.baseline, "src/cli/memstats")
    extra = " baseline s | baseline ratio | baseline peak RSS MiB |" if base else ""
    print("| scenario | threads | refs | floor s | floor merged s "
          "| floor+scan s | scan-only s | memstats s | ratio "
          "| ratio to merged | ratio to scan-only "
          "| memstats peak RSS MiB |" + extra)
    print("| --- " * (15 if base else 12) + "|")
    for name in a.scenario or DEFAULT:
        helper, pids = start_helper(a.build, SCENARIOS[name])
        try:
            for threads in (1, 2):
                t = ["--threads", str(threads)]
                groups = (["--filter", "descendants(%s)" % pids[0]] + t +
                          ["groups", "--split-uid", "--split-env",
                           "MEMSTATS_E2E_ROLE", "--split-comm", "--json"])
                commands = [[floor] + t + pids, [floor, "--scan"] + t + pids,
                            [floor, "--scan-only"] + t + pids,
                            [memstats] + groups,
                            [floor, "--merge"] + t + pids]
                if base:
                    commands.append([base] + groups)
                results = interleaved(commands, a.repeat)
                (f, _, out), (fs, _, _), (so, _, _), (m, rss, _), (
                    fm, _, _) = results[:5]
                refs = out.decode().split()[0].split("=")[1]
                row = ("| %s | %d | %s | %.3f | %.3f | %.3f | %.3f | %.3f "
                       "| %.2f | %.2f | %.2f | %.1f |" % (
                           name, threads, refs, f, fm, fs, so, m, m / f,
                           m / fm, m / so, rss))
                if base:
                    b, brss, _ = results[5]
                    row += " %.3f | %.2f | %.1f |" % (b, b / f, brss)
                print(row, flush=True)
        finally:
            helper.stdin.close()
            helper.wait()


if __name__ == "__main__":
    main()
