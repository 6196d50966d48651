#!/usr/bin/env python3
"""Soak test of memstats serve: its own memory and file descriptors over a
long run with frequent scans and scrapes.

Starts `memstats serve` on a free loopback port (whole machine, split by uid
and comm, a scan every --interval), scrapes /metrics every --scrape-ms on a
new connection each time (plus /healthz every 10th), and every
--sample-seconds reads memstats's VmRSS and its open file descriptors from
/proc. At the end stops it with SIGTERM and prints first, last and max of
RSS and fds, with the scrape and scan counts. Flat RSS and no fd growth is
the pass condition (judged by the reader; the script exits 1 only when
memstats failed: a scrape error, a non-zero exit). Needs root for
page-level numbers (runs without, with page-level metrics left out).

  sudo benches/serve_soak.py [--build build] [--seconds 300]
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
                    self.max_age = max(self.max_age, float(age.group(1)))
                    self.scan_stamps.add(stamp.group(1))
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
    args = ap.parse_args()

    binary = os.path.join(args.build, "src/cli/memstats")
    serve = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--interval", args.interval,
         "--split-uid", "--split-comm"],
        stderr=subprocess.PIPE, text=True)
    line = serve.stderr.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)/metrics", line)
    if not m:
        print(f"memstats serve did not start: {line!r}", file=sys.stderr)
        serve.kill()
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
    print(f"scans seen      {len(scraper.scan_stamps)} distinct scan timestamps; "
          f"max age at a scrape {scraper.max_age:.3f} s")
    print(f"RSS KiB         first {rss[0]}  last {rss[-1]}  max {max(rss)}")
    print(f"open fds        first {fds[0]}  last {fds[-1]}  max {max(fds)}")
    print(f"exit on SIGTERM {code}")
    if rest:
        print("stderr:", "".join(rest[:5]), end="")
    return 0 if code == 0 and scraper.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
