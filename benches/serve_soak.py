#!/usr/bin/env python3
"""Soak test of memstats serve: its own memory and file descriptors over a
long run with frequent scans and scrapes.

Starts a workload that does not change (the layout helper of the e2e tests,
tests/e2e/layout_helper.cc: a parent and 7 children sharing and owning
known memory), then `memstats serve` on a free loopback port over it
(--filter descendants(parent), split by the helper's role variable, uid and
comm, a scan every --interval; --whole-machine scans every process
instead, whose numbers move with whatever else runs), scrapes /metrics
every --scrape-ms on a new connection each time (plus /healthz every
10th), and every
--sample-seconds reads memstats's VmRSS and its open file descriptors from
/proc. At the end stops it with SIGTERM and prints first, last and max of
RSS and fds, with the scrape and scan counts. Flat RSS and no fd growth is
the pass condition (judged by the reader; the script exits 1 only when
memstats failed: a scrape error, a non-zero exit). Needs root for
page-level numbers (runs without, with page-level metrics left out).

  sudo benches/serve_soak.py [--build build] [--seconds 300] [-- MORE_ARGS]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

ROLE = "MEMSTATS_SOAK_ROLE"


def read_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def count_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Scraper(threading.Thread):
    """GETs /metrics every period on a fresh connection until stopped."""

    def __init__(self, port, period):
        super().__init__(daemon=True)
        self.port, self.period = port, period
        self.stop = threading.Event()
        self.scrapes = self.errors = 0
        self.max_age = 0.0
        self.scan_stamps = set()
        self.durations = {}  # scan timestamp -> its duration
        self.first_error = None

    def run(self):
        base = f"http://127.0.0.1:{self.port}"
        n = 0
        while not self.stop.is_set():
            t0 = time.monotonic()
            path = "/healthz" if n % 10 == 9 else "/metrics"
            try:
                with urllib.request.urlopen(base + path, timeout=5) as r:
                    body = r.read().decode()
                if path == "/metrics":
                    age = re.search(r"^memstats_scan_age_seconds (\S+)$", body, re.M)
                    stamp = re.search(r"^memstats_scan_timestamp_seconds (\S+)$",
                                      body, re.M)
                    took = re.search(r"^memstats_scan_duration_seconds (\S+)$",
                                     body, re.M)
                    self.max_age = max(self.max_age, float(age.group(1)))
                    self.scan_stamps.add(stamp.group(1))
                    self.durations[stamp.group(1)] = float(took.group(1))
                self.scrapes += 1
            except Exception as e:  # 503 before the first scan included
                self.errors += 1
                if self.first_error is None:
                    self.first_error = f"{path}: {e}"
            n += 1
            self.stop.wait(max(0.0, self.period - (time.monotonic() - t0)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--scrape-ms", type=float, default=100)
    ap.add_argument("--sample-seconds", type=float, default=10)
    ap.add_argument("--whole-machine", action="store_true",
                    help="scan every process, not the helper's")
    ap.add_argument("memstats_args", nargs="*",
                    help="more arguments for memstats serve (after --), e.g. "
                         "-- --threads 2")
    args = ap.parse_args()

    binary = os.path.join(args.build, "src/cli/memstats")
    scope, helper = [], None
    if not args.whole_machine:
        helper = subprocess.Popen(
            [os.path.join(args.build, "tests/e2e/memstats_layout_helper"),
             "--shared-mib", "64", "--sysv-mib", "32", "--cow-mib", "48",
             "--parent-private-mib", "16", "--child-private-mib", "24",
             "--children", "7", "--env-key", ROLE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, ROLE: "parent"})
        ready = helper.stdout.readline()
        parent = re.search(r"parent=(\d+)", ready)
        if not parent:
            print(f"the layout helper did not start: {ready!r}", file=sys.stderr)
            helper.kill()
            return 1
        scope = ["--filter", f"descendants({parent.group(1)})"]
    serve = subprocess.Popen(
        [binary, *scope, "serve", "--listen", "127.0.0.1:0",
         "--interval", args.interval, "--split-env", ROLE, "--split-uid",
         "--split-comm", *args.memstats_args],
        stderr=subprocess.PIPE, text=True)
    try:
        return soak(args, serve)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        if helper is not None:
            helper.stdin.close()  # it exits when its stdin closes
            helper.wait(timeout=30)


def soak(args, serve):
    line = serve.stderr.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)/metrics", line)
    if not m:
        print(f"memstats serve did not start: {line!r}", file=sys.stderr)
        return 1
    # The rest of stderr, drained so that memstats never blocks on it.
    rest = []
    threading.Thread(target=lambda: rest.extend(serve.stderr), daemon=True).start()

    # The first scan, then the clock starts.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/metrics", timeout=5)
            break
        except Exception:
            time.sleep(0.1)
    scraper = Scraper(int(m.group(1)), args.scrape_ms / 1000)
    scraper.start()
    samples = []  # (seconds, rss KiB, fds)
    start = time.monotonic()
    while True:
        t = time.monotonic() - start
        samples.append((t, read_rss_kib(serve.pid), count_fds(serve.pid)))
        print(f"{t:7.1f} s  rss {samples[-1][1]:7d} KiB  fds {samples[-1][2]:3d}  "
              f"scrapes {scraper.scrapes}", flush=True)
        if t >= args.seconds:
            break
        time.sleep(min(args.sample_seconds, args.seconds - t))
    scraper.stop.set()
    scraper.join()
    serve.send_signal(signal.SIGTERM)
    code = serve.wait(timeout=30)

    rss = [s[1] for s in samples]
    fds = [s[2] for s in samples]
    elapsed = samples[-1][0]
    print()
    print(f"duration        {elapsed:.0f} s, scan every {args.interval}, "
          f"scrape every {args.scrape_ms:g} ms")
    print(f"scrapes         {scraper.scrapes} ok, {scraper.errors} failed"
          + (f" (first: {scraper.first_error})" if scraper.first_error else ""))
    took = sorted(scraper.durations.values()) or [0.0]
    print(f"scans seen      {len(scraper.scan_stamps)} distinct scan timestamps; "
          f"max age at a scrape {scraper.max_age:.3f} s")
    print(f"scan duration   median {took[len(took) // 2]:.3f} s, max {took[-1]:.3f} s "
          "(scans start every interval, or at once when one took longer)")
    print(f"RSS KiB         first {rss[0]}  last {rss[-1]}  max {max(rss)}")
    print(f"open fds        first {fds[0]}  last {fds[-1]}  max {max(fds)}")
    print(f"exit on SIGTERM {code}")
    if rest:
        print("stderr:", "".join(rest[:5]), end="")
    return 0 if code == 0 and scraper.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
