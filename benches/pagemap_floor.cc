// pagemap_floor: the cost floor of page-level accounting. Reads every
// mapping's pagemap entries of the given processes and counts the present
// ones, nothing more, with N threads. memstats's time is reported as a ratio
// to this, measured in the same script on the same processes.
//
//   pagemap_floor [--threads N]
//                 [--merge | --scan | --scan-only | --smaps | --rollup]
//                 PID...
//
// --merge reads adjacent mappings with one pread while
// their entries fit its buffer (8192), as memstats does.
// --scan uses the PAGEMAP_SCAN ioctl (Linux 6.7+) to find present ranges
// first and reads only those. --scan-only stops at the ranges (present or
// swapped) and reads no entry: the limit of a scan that takes shared
// objects' PFNs from a cache (memstats asks PAGEMAP_SCAN the same; asking
// for PAGE_IS_FILE too makes the kernel look at every page's struct page,
// which on Linux 6.18 costs about what reading the entries does).
// --smaps reads each process's /proc/PID/smaps whole instead (the floor of
// memstats top and snapshot, which need every mapping's Pss) and counts the
// bytes read; --rollup reads smaps_rollup.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

#ifndef PAGEMAP_SCAN
// From include/uapi/linux/fs.h (Linux 6.7); Debian 12's headers predate it.
struct page_region {
  uint64_t start, end, categories;
};
struct pm_scan_arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages,
      category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#endif

struct Vma {
  uint64_t start, end;
};

std::vector<Vma> ReadMaps(int pid) {
  std::vector<Vma> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("[vsyscall]") != std::string::npos) continue;
    uint64_t s = 0, e = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64, &s, &e) == 2) {
      out.push_back({s, e});
    }
  }
  return out;
}

uint64_t CountPresent(int fd, uint64_t start, uint64_t end,
                      std::vector<uint64_t>& buf) {
  uint64_t present = 0;
  for (uint64_t vpn = start >> 12; vpn < end >> 12;) {
    size_t n = std::min<uint64_t>(buf.size(), (end >> 12) - vpn);
    ssize_t got = pread(fd, buf.data(), n * 8, vpn * 8);
    if (got <= 0) break;
    for (ssize_t i = 0; i < got / 8; ++i) present += buf[i] >> 63;
    vpn += got / 8;
  }
  return present;
}

enum class Mode { kRead, kMerge, kScan, kScanOnly };

uint64_t ReadProcess(int pid, Mode mode) {
  const bool scan = mode == Mode::kScan || mode == Mode::kScanOnly;
  int fd = open(("/proc/" + std::to_string(pid) + "/pagemap").c_str(),
                O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::vector<uint64_t> buf(8192);
  std::vector<page_region> regions(4096);
  uint64_t present = 0;
  std::vector<Vma> vmas = ReadMaps(pid);
  if (mode == Mode::kMerge) {
    // Adjacent mappings, together at most a buffer's worth
    // of entries, are read with one pread.
    for (size_t i = 0; i < vmas.size();) {
      uint64_t from = vmas[i].start, to = vmas[i].end;
      for (++i; i < vmas.size() && vmas[i].start == to &&
                ((vmas[i].end - from) >> 12) <= buf.size();
           ++i) {
        to = vmas[i].end;
      }
      present += CountPresent(fd, from, to, buf);
    }
    vmas.clear();
  }
  for (const Vma& v : vmas) {
    if (!scan) {
      present += CountPresent(fd, v.start, v.end, buf);
      continue;
    }
    for (uint64_t at = v.start; at < v.end;) {
      pm_scan_arg arg{};
      arg.size = sizeof(arg);
      arg.start = at;
      arg.end = v.end;
      arg.vec = reinterpret_cast<uint64_t>(regions.data());
      arg.vec_len = regions.size();
      arg.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
      arg.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
      long n = ioctl(fd, PAGEMAP_SCAN, &arg);
      if (n < 0) break;
      if (mode == Mode::kScanOnly) {
        for (long i = 0; i < n; ++i) {
          present += (regions[i].end - regions[i].start) >> 12;
        }
        if (arg.walk_end <= at || arg.walk_end >= v.end) break;
        at = arg.walk_end;
        continue;
      }
      // Ranges at most 64 pages apart are read together, as memstats does.
      for (long i = 0; i < n;) {
        uint64_t from = regions[i].start, to = regions[i].end;
        for (++i; i < n && regions[i].start - to <= 64 * 4096; ++i) {
          to = regions[i].end;
        }
        present += CountPresent(fd, from, to, buf);
      }
      if (arg.walk_end <= at || arg.walk_end >= v.end) break;
      at = arg.walk_end;
    }
  }
  close(fd);
  return present;
}

// Reads /proc/PID/<name> to its end; returns the bytes read.
uint64_t ReadWhole(int pid, const char* name) {
  int fd = open(("/proc/" + std::to_string(pid) + "/" + name).c_str(),
                O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::vector<char> buf(1 << 16);
  uint64_t bytes = 0;
  for (ssize_t got; (got = read(fd, buf.data(), buf.size())) > 0;) {
    bytes += static_cast<uint64_t>(got);
  }
  close(fd);
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  Mode mode = Mode::kRead;
  const char* whole = nullptr;  // --smaps, --rollup: the file to read
  std::vector<int> pids;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--scan")) {
      mode = Mode::kScan;
    } else if (!std::strcmp(argv[i], "--merge")) {
      mode = Mode::kMerge;
    } else if (!std::strcmp(argv[i], "--scan-only")) {
      mode = Mode::kScanOnly;
    } else if (!std::strcmp(argv[i], "--smaps")) {
      whole = "smaps";
    } else if (!std::strcmp(argv[i], "--rollup")) {
      whole = "smaps_rollup";
    } else {
      pids.push_back(std::atoi(argv[i]));
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < pids.size();) {
        total += whole ? ReadWhole(pids[i], whole) : ReadProcess(pids[i], mode);
      }
    });
  }
  for (auto& t : pool) t.join();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("%s=%" PRIu64 " seconds=%.3f\n", whole ? "bytes" : "present",
              total.load(), secs);
}
