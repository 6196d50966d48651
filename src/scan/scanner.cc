#include "scan/scanner.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scan/object_pages.h"
#include "scan/pagemap.h"
#include "scan/pagemap_ahead.h"
#include "scan/parallel.h"
#include "scan/unlinked.h"
#include "tbb/task_arena.h"

namespace memstats::scan {
namespace {

// Entries read from pagemap per pread: 64 KiB of entries covers 32 MiB of
// address space.
constexpr uint64_t kPagemapChunk = 8192;
// A chunk with fewer than 1/kSparse of its pages present makes the rest of
// the mapping go through PAGEMAP_SCAN, kScanWindow pages (1 GiB) at a time.
constexpr uint64_t kSparse = 16;
constexpr uint64_t kScanWindow = 262144;
// Present ranges this many pages apart or closer are read in one pread.
constexpr uint64_t kScanMergeGap = 64;

enum class Outcome { kRecord, kFiltered, kKernelThread, kVanished, kUnreadable };

// Pagemap entries of one process that count nowhere or not as they look
// (ScanStats has their meaning).
struct EntryCounts {
  uint64_t zero_pfns = 0;
  uint64_t bad_pfns = 0;
  uint64_t pfn_swap = 0;
  uint64_t markers = 0;
  uint64_t reused_windows = 0;  // ScanStats::object_windows_reused
};

// Why a process could not be read, from the status of the failing read.
Outcome FailureOutcome(const absl::Status& s) {
  return absl::IsPermissionDenied(s) ? Outcome::kUnreadable : Outcome::kVanished;
}

// What a record's usage rows hold, as charged to the memory budget.
uint64_t UsageBytes(const ProcessRecord& rec) {
  uint64_t bytes = rec.usage.capacity() * sizeof(UsageRow);
  for (const UsageRow& r : rec.usage) bytes += r.path.size();
  return bytes;
}

// Grows `v` to hold `extra` more elements, charging the budget first.
template <typename T>
bool Reserve(std::vector<T>& v, size_t extra, MemoryBudget* budget) {
  size_t need = v.size() + extra;
  if (need <= v.capacity()) return true;
  size_t cap = std::max(need, v.capacity() * 2);
  if (budget != nullptr &&
      !budget->TryCharge((cap - v.capacity()) * sizeof(T))) {
    return false;
  }
  v.reserve(cap);
  return true;
}

class ProcessReader {
 public:
  // `read_pages` and `read_smaps` override the options' (Scan() turns
  // pagemap off for a page size it cannot decode).
  ProcessReader(ProcSource& source, const ScanOptions& options, bool read_pages,
                bool read_smaps, const ParentMap& parents, const KeepFn& keep,
                SegmentStore& store, ObjectPages* objects,
                TmpfsDevices tmpfs_devices)
      : source_(source),
        options_(options),
        read_pages_(read_pages),
        read_smaps_(read_smaps),
        store_(store),
        objects_(objects),
        parents_(parents),
        keep_(keep),
        tmpfs_devices_(std::move(tmpfs_devices)) {}

  // Reads one process into `rec`, counting its odd pagemap entries in
  // `counts`. `stat_flags` are the PF_* flags of its stat as ReadParents
  // read it, or nullopt (stat is read here then). Returns kVanished with
  // budget_exceeded set when the budget ran out.
  Outcome Read(int pid, std::optional<uint64_t> stat_flags, ProcessRecord& rec,
               EntryCounts& counts, bool& budget_exceeded) {
    if (stat_flags && (*stat_flags & kPfKthread)) return Outcome::kKernelThread;
    auto handle_or = source_.OpenProcess(pid);
    if (!handle_or.ok()) return FailureOutcome(handle_or.status());
    ProcHandle& h = **handle_or;

    if (!stat_flags) {
      auto stat_text = h.ReadFile("stat");
      if (!stat_text.ok()) return FailureOutcome(stat_text.status());
      auto stat = ParseStat(*stat_text);
      // A stat we cannot parse is a process we cannot read, not a crash.
      if (!stat.ok()) return Outcome::kUnreadable;
      if (stat->flags & kPfKthread) return Outcome::kKernelThread;
    }

    auto status_text = h.ReadFile("status");
    if (!status_text.ok()) return FailureOutcome(status_text.status());
    auto status = ParseStatus(*status_text);
    if (!status.ok()) return Outcome::kUnreadable;
    if (status->kthread.value_or(false)) return Outcome::kKernelThread;

    ProcessIdentity& id = rec.id;
    id.pid = pid;
    id.ppid = status->ppid;
    id.uid = status->uid;
    id.comm = status->name;
    rec.vm_pte_bytes = status->vm_pte_bytes;
    rec.vm_hwm_bytes = status->vm_hwm_bytes;
    // One live thread, the leader (not a zombie leader whose last thread
    // is another): its stack is [stack], and there is no task list to read.
    const bool only_leader =
        status->threads == 1 && status->state != 'Z' && status->state != 'X';

    const uint8_t wanted = options_.identity;
    if (wanted & kIdCmdline) {
      auto cmdline = h.ReadFile("cmdline");
      if (absl::IsNotFound(cmdline.status())) return Outcome::kVanished;
      if (cmdline.ok()) id.cmdline = ParseCmdline(*cmdline);
    }
    // exe is unreadable for zombies and for other users' processes when not
    // root; an empty exe is enough for both.
    if (wanted & kIdExe) {
      auto exe = h.ReadLink("exe");
      if (exe.ok()) id.exe = std::move(*exe);
    }
    if (wanted & kIdCgroup) {
      auto cgroup = h.ReadFile("cgroup");
      if (cgroup.ok()) id.cgroup = ParseCgroup(*cgroup);
    }
    if (!options_.env_keys.empty()) {
      auto environ = h.ReadFile("environ");
      if (environ.ok()) id.env = ParseEnviron(*environ, options_.env_keys);
    }

    // Left out. Whether it holds an object a scanned group maps is read
    // after the scan, when some scanned process maps one (ReadHolders).
    if (!keep_(id, parents_)) return Outcome::kFiltered;

    const bool detail =
        options_.mapping_detail != ScanOptions::MappingDetail::kNone;
    // maps: the ranges whose pagemap is read, and the shared memory objects
    // (SysV segments, memfds, tmpfs files) a process maps, which only page
    // accounting uses. A scan of full smaps without pages (top, snapshot,
    // watch) has the same mapping lines in smaps and reads no maps.
    if (read_pages_ || options_.shm_holders || !detail) {
      auto maps_text = h.ReadFile("maps");
      if (!maps_text.ok()) return FailureOutcome(maps_text.status());
      auto maps = ParseMaps(*maps_text);
      if (!maps.ok()) return Outcome::kUnreadable;
      NoteSysvAttachments(*maps, rec);
      // Per mapping, its unlinked object (index in rec.unlinked) or -1.
      std::vector<int> object_of;
      if (options_.shm_holders) {
        UnlinkedCollector objects(rec.unlinked);
        object_of.reserve(maps->size());
        for (const MapEntry& m : *maps) {
          object_of.push_back(objects.AddMapping(m));
        }
      }
      rec.shmem_maps = ShmemMapRefs(*maps, tmpfs_devices_);
      if (read_pages_) {
        Outcome o =
            ReadPages(h, *maps, object_of, rec, counts, budget_exceeded);
        if (o != Outcome::kRecord) return o;
      }
    }
    const bool want_rollup = read_smaps_ || !rec.swap.empty();
    // With the full smaps read anyway, its sum can stand for smaps_rollup:
    // one walk of the page tables instead of two.
    const bool sum_smaps = want_rollup && detail && options_.rollup_from_smaps;
    if (want_rollup && !sum_smaps) {
      auto rollup = ReadRollup(h);
      if (!rollup.ok()) return FailureOutcome(rollup.status());
      rec.smaps = *rollup;
    }
    if (detail) {
      Outcome o = ReadUsage(h, rec, budget_exceeded, sum_smaps, only_leader);
      if (o != Outcome::kRecord) return o;
    }
    return StillRunning(h) ? Outcome::kRecord : Outcome::kVanished;
  }

  // Whether the process was still alive, and not exiting, after its memory
  // files were read. A process that starts to exit mid-read does not fail
  // the reads: its memory is torn down under us, so maps, pagemap and smaps
  // show a part of it (seen here: smaps_rollup of a compiler read at 480
  // MiB, then its smaps at 5 MiB). do_exit() sets PF_EXITING before it
  // releases the memory, so a stat read after the last memory file tells.
  static bool StillRunning(ProcHandle& h) {
    auto text = h.ReadFile("stat");
    if (absl::IsNotFound(text.status())) return false;
    if (!text.ok()) return true;
    auto stat = ParseStat(*text);
    if (!stat.ok()) return true;
    return !(stat->flags & kPfExiting) && stat->state != 'Z' &&
           stat->state != 'X';
  }

  // Full smaps, summed per category (ScanOptions::mapping_detail). The
  // threads' stack pointers are read first: if the process exits meanwhile,
  // the smaps read fails and the process is counted vanished rather than
  // recorded with its thread stacks taken for anonymous memory. A process
  // whose only live thread is its leader (`only_leader`) has none.
  Outcome ReadUsage(ProcHandle& h, ProcessRecord& rec, bool& budget_exceeded,
                    bool sum_totals, bool only_leader) {
    const int pid = h.pid();
    std::vector<uint64_t> sps;
    if (only_leader) {
      rec.threads = 1;
    } else {
      sps =
          ReadThreadStackPointers(h, &rec.threads, &rec.unknown_thread_stacks);
    }

    auto text = h.ReadFile("smaps");
    if (!text.ok()) return FailureOutcome(text.status());
    auto smaps = ParseSmaps(*text);
    if (!smaps.ok()) return Outcome::kUnreadable;
    rec.usage = SummarizeMappings(
        *smaps, pid, sps,
        options_.mapping_detail == ScanOptions::MappingDetail::kFiles,
        rec.id.exe);
    for (const SmapsMapping& m : *smaps) rec.usage_pss += m.totals.pss;
    if (sum_totals) {
      rec.smaps = SmapsTotals{};
      for (const SmapsMapping& m : *smaps) AddSmapsTotals(m.totals, rec.smaps);
    }
    if (options_.budget != nullptr &&
        !options_.budget->TryCharge(UsageBytes(rec))) {
      rec.usage = std::vector<UsageRow>();  // charged nothing
      budget_exceeded = true;
      return Outcome::kVanished;
    }
    return Outcome::kRecord;
  }

  // smaps_rollup, parsed. An unparsable file reads as PermissionDenied: the
  // process is counted unreadable rather than given wrong numbers.
  static absl::StatusOr<SmapsTotals> ReadRollup(ProcHandle& h) {
    auto text = h.ReadFile("smaps_rollup");
    if (!text.ok()) return text.status();
    auto rollup = ParseSmapsRollup(*text);
    if (!rollup.ok()) return absl::PermissionDeniedError(rollup.status().message());
    return rollup;
  }

 private:
  Outcome ReadPages(ProcHandle& h, const std::vector<MapEntry>& maps,
                    const std::vector<int>& object_of, ProcessRecord& rec,
                    EntryCounts& counts, bool& budget_exceeded) {
    ahead_.Clear();
    for (size_t k = 0; k < maps.size(); ++k) {
      const MapEntry& m = maps[k];
      // [vsyscall] sits above the user address range pagemap covers.
      if (m.path == "[vsyscall]") continue;
      const auto first = static_cast<uint32_t>(rec.segments.size());
      absl::Status s = ahead_.Prepare(h, maps, k, kPagemapChunk, kPageShift);
      if (s.ok()) s = ReadMapping(h, m, rec, counts);
      if (!s.ok()) {
        if (absl::IsResourceExhausted(s)) {
          budget_exceeded = true;
          return Outcome::kVanished;
        }
        return FailureOutcome(s);
      }
      const auto end = static_cast<uint32_t>(rec.segments.size());
      if (!object_of.empty() && object_of[k] >= 0 && end > first) {
        rec.unlinked_maps.push_back(
            {static_cast<uint32_t>(object_of[k]), first, end});
      }
    }
    return Outcome::kRecord;
  }

  // Reads the pagemap entries of one mapping. Dense stretches are read
  // whole (plain reads are the cheapest way through populated memory);
  // where a chunk turns out mostly empty, the rest is walked with
  // PAGEMAP_SCAN, which reports present ranges without a per-page entry, and
  // only those ranges are read. A stretch found mostly populated switches
  // back to plain reads.
  absl::Status ReadMapping(ProcHandle& h, const MapEntry& m,
                           ProcessRecord& rec, EntryCounts& counts) {
    uint64_t vpn = m.start >> kPageShift;
    const uint64_t end = m.end >> kPageShift;
    // Windows follow the object offset for file and shared memory, so the
    // same part of an object falls in the same window in every process.
    Window& w = window_;
    w.Reset();
    w.key_delta = m.inode != 0 ? (m.offset >> kPageShift) - vpn : 0;
    w.end = vpn;
    w.object.reset();
    if (objects_ != nullptr && m.shared && m.inode != 0) {
      w.object = ObjectName{m.dev_major, m.dev_minor, m.inode};
      if (scan_works_.load(std::memory_order_relaxed) &&
          scan_categories_.load(std::memory_order_relaxed) &&
          objects_->Knows(*w.object)) {
        absl::Status s = ReadKnownObject(h, vpn, end, rec, counts);
        if (!s.ok()) return s;
        return Flush(rec);
      }
    }
    bool scan = false;
    thread_local std::vector<ProcHandle::Range> ranges;
    while (vpn < end) {
      if (scan && scan_works_.load(std::memory_order_relaxed)) {
        const uint64_t stop = std::min(end, vpn + kScanWindow);
        ranges.clear();
        absl::Status s =
            h.ScanPresent(vpn << kPageShift, stop << kPageShift, ranges);
        if (absl::IsUnimplemented(s) || absl::IsInvalidArgument(s)) {
          scan_works_.store(false, std::memory_order_relaxed);  // old kernel
          continue;
        }
        if (!s.ok()) return s;
        uint64_t covered = 0;
        for (size_t i = 0; i < ranges.size();) {
          // Ranges a short gap apart are read together.
          uint64_t from = ranges[i].start >> kPageShift;
          uint64_t to = ranges[i].end >> kPageShift;
          for (++i; i < ranges.size() &&
                    (ranges[i].start >> kPageShift) - to <= kScanMergeGap;
               ++i) {
            to = ranges[i].end >> kPageShift;
          }
          auto n = ReadRange(h, from, to, rec, counts);
          if (!n.ok()) return n.status();
          covered += to - from;
        }
        scan = covered * 2 < stop - vpn;
        vpn = stop;
      } else {
        const uint64_t stop = std::min<uint64_t>(end, vpn + kPagemapChunk);
        auto n = ReadRange(h, vpn, stop, rec, counts);
        if (!n.ok()) return n.status();
        scan = stop - vpn == kPagemapChunk && *n * kSparse < stop - vpn &&
               end - stop >= kPagemapChunk;
        vpn = stop;
      }
    }
    return Flush(rec);
  }

  // Reads [vpn, end) of a MAP_SHARED mapping of an object ObjectPages
  // knows (window_.object). PAGEMAP_SCAN gives the present and swapped
  // ranges; a window whose pages are all present, at the positions of a
  // reading ObjectPages holds, takes that reading's segment. The other
  // windows' ranges are read as usual (and remembered). The first window
  // taken checks that its first page's PFN is the reading's: if not, the
  // name stands for another object here and every window is read.
  absl::Status ReadKnownObject(ProcHandle& h, uint64_t vpn, const uint64_t end,
                               ProcessRecord& rec, EntryCounts& counts) {
    Window& w = window_;
    bool checked = false, same_object = false;
    // Stretches to read, merged as the sparse path merges them.
    uint64_t from = 0, to = 0;
    auto read_queued = [&]() -> absl::Status {
      if (from == to) return absl::OkStatus();
      auto n = ReadRange(h, from, to, rec, counts);
      from = to = 0;
      return n.status();
    };
    auto queue = [&](uint64_t a, uint64_t b) -> absl::Status {
      if (from != to && a - to <= kScanMergeGap) {
        to = b;
        return absl::OkStatus();
      }
      absl::Status s = read_queued();
      from = a;
      to = b;
      return s;
    };
    thread_local std::vector<ProcHandle::Range> ranges;
    thread_local std::vector<std::pair<uint64_t, uint64_t>> parts;
    while (vpn < end) {
      // Whole windows per call, up to kScanWindow pages.
      const uint64_t stop_key =
          (vpn + w.key_delta + kScanWindow) / kWindowPages * kWindowPages;
      const uint64_t stop = std::min(end, stop_key - w.key_delta);
      ranges.clear();
      absl::Status s =
          h.ScanPresent(vpn << kPageShift, stop << kPageShift, ranges);
      if (absl::IsUnimplemented(s) || absl::IsInvalidArgument(s)) {
        scan_works_.store(false, std::memory_order_relaxed);  // old kernel
        if (absl::Status q = queue(vpn, end); !q.ok()) return q;
        return read_queued();
      }
      if (!s.ok()) return s;
      size_t i = 0;
      uint64_t at = ranges.empty() ? 0 : ranges[0].start >> kPageShift;
      while (i < ranges.size()) {
        // The window holding page `at`, and its ranges' parts.
        const uint64_t key = at + w.key_delta;
        const uint64_t window_end = at + (kWindowPages - key % kWindowPages);
        const uint64_t base = key - key % kWindowPages;
        WindowPattern pattern;
        bool all_present = true;
        parts.clear();
        while (i < ranges.size()) {
          if (ranges[i].categories == 0) {
            // A source that cannot tell present from swapped (a capture's
            // replay): no window can be taken; later mappings read plainly.
            scan_categories_.store(false, std::memory_order_relaxed);
          }
          const uint64_t a = std::max(at, ranges[i].start >> kPageShift);
          if (a >= window_end) break;
          const uint64_t b = std::min(ranges[i].end >> kPageShift, window_end);
          parts.emplace_back(a, b);
          if (ranges[i].categories != kPageIsPresent) all_present = false;
          AddToPattern(pattern, static_cast<uint16_t>(a + w.key_delta - base),
                       static_cast<uint16_t>(b + w.key_delta - base));
          if (b < ranges[i].end >> kPageShift) {
            at = b;  // the range goes on in the next window
            break;
          }
          if (++i < ranges.size()) at = ranges[i].start >> kPageShift;
        }
        uint32_t id = ObjectPages::kNone;
        if (all_present && (!checked || same_object)) {
          id = objects_->Find(*w.object, key / kWindowPages, pattern);
        }
        if (id != ObjectPages::kNone && !checked) {
          checked = true;
          uint64_t e = 0;
          absl::Status r =
              h.ReadPagemap(parts[0].first, std::span<uint64_t>(&e, 1));
          if (!r.ok()) return r;
          same_object = PmIsPresent(e) && (e & kPmFileOrShared) &&
                        PmPfn(e) == store_.FirstPfn(id);
          if (!same_object) id = ObjectPages::kNone;
        }
        if (id != ObjectPages::kNone) {
          if (absl::Status q = read_queued(); !q.ok()) return q;
          if (absl::Status f = Flush(rec); !f.ok()) return f;
          store_.MarkShared(id);
          if (absl::Status f = Append(rec, id); !f.ok()) return f;
          w.end = window_end;
          ++counts.reused_windows;
          continue;
        }
        for (const auto& [a, b] : parts) {
          if (absl::Status q = queue(a, b); !q.ok()) return q;
        }
      }
      vpn = stop;
    }
    return read_queued();
  }

  // The window being filled: its runs, where it ends, and the offset from
  // a virtual page number to its key (object page or address page).
  struct Window {
    std::vector<PfnRun> runs;
    // Every page in runs was present with PM_MMAP_EXCLUSIVE set; and
    // with PM_FILE clear (anonymous).
    bool exclusive = true;
    bool anon = true;
    uint64_t end = 0;
    uint64_t key_delta = 0;
    // For ObjectPages: the object of a MAP_SHARED mapping (else none), the
    // window's index in it, the positions of its present pages, and
    // whether every entry read in it was a page of the object kept in runs.
    std::optional<ObjectName> object;
    uint64_t index = 0;
    WindowPattern pattern;
    bool whole = true;

    void Reset() {
      runs.clear();
      exclusive = true;
      anon = true;
      pattern.clear();
      whole = true;
    }
  };

  // Stores the window's runs as a segment of the record (and, when it is a
  // whole window of a shared object, in ObjectPages).
  absl::Status Flush(ProcessRecord& rec) {
    Window& w = window_;
    if (w.runs.empty()) {
      w.Reset();
      return absl::OkStatus();
    }
    const uint32_t id = store_.Intern(w.runs, w.exclusive, w.anon);
    if (id != SegmentStore::kFailed && w.object && w.whole) {
      objects_->Add(*w.object, w.index, w.pattern, id);
    }
    w.Reset();
    return Append(rec, id);
  }

  // Adds segment `id` (kFailed: the budget refused it) to the record.
  absl::Status Append(ProcessRecord& rec, uint32_t id) {
    if (id == SegmentStore::kFailed ||
        !Reserve(rec.segments, 1, options_.budget)) {
      return Exhausted();
    }
    rec.segments.push_back(id);
    return absl::OkStatus();
  }

  // Adds a present page to the window's runs; false when it counts nowhere.
  bool AddPage(uint64_t pfn, uint64_t limit, EntryCounts& counts) {
    if (pfn == 0) {
      ++counts.zero_pfns;
      return false;
    }
    if (pfn >= limit) {
      ++counts.bad_pfns;
      return false;
    }
    std::vector<PfnRun>& runs = window_.runs;
    if (!runs.empty() && runs.back().pfn + runs.back().count == pfn) {
      ++runs.back().count;
    } else {
      runs.push_back({pfn, 1});
    }
    return true;
  }

  // Reads and decodes the entries of [vpn, end); returns how many were
  // present or swapped.
  absl::StatusOr<uint64_t> ReadRange(ProcHandle& h, uint64_t vpn,
                                     uint64_t end, ProcessRecord& rec,
                                     EntryCounts& counts) {
    const uint64_t limit =
        options_.pfn_limit ? std::min(options_.pfn_limit, kMaxPhysPfn)
                           : kMaxPhysPfn;
    thread_local std::vector<uint64_t> buf(kPagemapChunk);
    Window& w = window_;
    uint64_t used = 0;
    while (vpn < end) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(end - vpn, buf.size()));
      std::span<const uint64_t> entries = ahead_.Find(vpn, n);
      if (entries.empty()) {
        absl::Status s = h.ReadPagemap(vpn, std::span<uint64_t>(buf.data(), n));
        if (!s.ok()) return s;
        entries = std::span<const uint64_t>(buf.data(), n);
      }
      for (size_t i = 0; i < n; ++i) {
        const uint64_t e = entries[i];
        if (vpn + i >= w.end) {
          if (absl::Status f = Flush(rec); !f.ok()) return f;
          const uint64_t key = vpn + i + w.key_delta;
          w.end = vpn + i + (kWindowPages - key % kWindowPages);
          w.index = key / kWindowPages;
        }
        if (PmIsPresent(e)) {
          ++used;
          if (!(e & kPmExclusive)) w.exclusive = false;
          if (e & kPmFileOrShared) w.anon = false;
          const bool kept = AddPage(PmPfn(e), limit, counts);
          if (w.object) {
            if (kept && (e & kPmFileOrShared)) {
              AddToPattern(w.pattern,
                           static_cast<uint16_t>((vpn + i + w.key_delta) %
                                                 kWindowPages));
            } else {
              w.whole = false;
            }
          }
        } else if (PmIsSwapped(e)) {
          ++used;
          w.whole = false;
          switch (PmSwapEntryKind(e)) {
            case SwapEntryKind::kSwap:
              if (!Reserve(rec.swap, 1, options_.budget)) return Exhausted();
              rec.swap.push_back(PmSwapKey(e));
              break;
            case SwapEntryKind::kPage:
              // Under migration (or hwpoison, device-private): resident,
              // and the offset is its PFN. Without CAP_SYS_ADMIN the
              // offset reads 0, as a present entry's PFN does.
              ++counts.pfn_swap;
              w.exclusive = false;  // no such bit for these
              AddPage(PmSwapOffset(e), limit, counts);
              break;
            case SwapEntryKind::kMarker:
              ++counts.markers;
              break;
          }
        }
      }
      vpn += n;
    }
    return used;
  }

  static absl::Status Exhausted() {
    return absl::ResourceExhaustedError("memory limit");
  }

  ProcSource& source_;
  const ScanOptions& options_;
  const bool read_pages_;
  const bool read_smaps_;
  SegmentStore& store_;
  ObjectPages* const objects_;  // null: ScanOptions::object_pages off
  std::atomic<bool> scan_works_{true};
  // ProcHandle::ScanPresent tells present from swapped (ReadKnownObject).
  std::atomic<bool> scan_categories_{true};
  const ParentMap& parents_;
  const KeepFn& keep_;
  const TmpfsDevices tmpfs_devices_;
  // One window per thread: the reader runs on every scan thread.
  static thread_local Window window_;
  // Entries of the adjacent small mappings being read (ReadPages).
  static thread_local PagemapAhead ahead_;
};

thread_local ProcessReader::Window ProcessReader::window_;
thread_local PagemapAhead ProcessReader::ahead_;

// ScanOptions::shm_holders, after the scan: when a scanned process maps an
// unlinked object, the open fds of every scanned process (added to its
// record's objects) and the maps and fds of every process `keep` left out
// (into held_outside[i]). Otherwise nothing is read: no group can free an
// object no scanned process maps, and a process's fds cost a readlink
// each (a database holds thousands).
void ReadHolders(ProcSource& source, const std::vector<int>& pids,
                 const std::vector<Outcome>& outcomes,
                 std::vector<ProcessRecord>& records,
                 std::vector<std::vector<UnlinkedObject>>& held_outside,
                 tbb::task_arena& arena) {
  bool any_mapped = false;
  for (size_t i = 0; i < pids.size() && !any_mapped; ++i) {
    any_mapped = outcomes[i] == Outcome::kRecord && !records[i].unlinked.empty();
  }
  if (!any_mapped) return;
  arena.execute([&] {
    ParallelFor(size_t{0}, pids.size(), [&](size_t i) {
      if (outcomes[i] != Outcome::kRecord && outcomes[i] != Outcome::kFiltered) {
        return;
      }
      // A process that exited since it was read holds nothing any more.
      auto h = source.OpenProcess(pids[i]);
      if (!h.ok()) return;
      if (outcomes[i] == Outcome::kRecord) {
        UnlinkedCollector(records[i].unlinked).AddFds(**h);
      } else {
        ReadUnlinkedHolds(**h, held_outside[i]);
      }
    });
  });
}

// pid -> ppid for every listed process, from stat (cheap), and each
// process's PF_* flags in `flags` (nullopt where its stat could not be
// read or parsed): the scan does not read stat again for them. Processes
// that vanish here simply have no entry.
ParentMap ReadParents(ProcSource& source, const std::vector<int>& pids,
                      tbb::task_arena& arena,
                      std::vector<std::optional<uint64_t>>& flags) {
  std::vector<int> ppid(pids.size(), -1);
  flags.assign(pids.size(), std::nullopt);
  arena.execute([&] {
    ParallelFor(size_t{0}, pids.size(), [&](size_t i) {
      auto text = source.ReadProcessFile(pids[i], "stat");
      if (!text.ok()) return;
      auto stat = ParseStat(*text);
      if (!stat.ok()) return;
      ppid[i] = stat->ppid;
      flags[i] = stat->flags;
    });
  });
  ParentMap parents;
  parents.reserve(pids.size());
  for (size_t i = 0; i < pids.size(); ++i) {
    if (ppid[i] >= 0) parents[pids[i]] = ppid[i];
  }
  return parents;
}

}  // namespace

void AddSmapsTotals(const SmapsTotals& from, SmapsTotals& to) {
  to.rss += from.rss;
  to.pss += from.pss;
  to.pss_anon += from.pss_anon;
  to.pss_file += from.pss_file;
  to.pss_shmem += from.pss_shmem;
  to.shared_clean += from.shared_clean;
  to.shared_dirty += from.shared_dirty;
  to.private_clean += from.private_clean;
  to.private_dirty += from.private_dirty;
  to.anonymous += from.anonymous;
  to.swap += from.swap;
  to.swap_pss += from.swap_pss;
  to.shared_hugetlb += from.shared_hugetlb;
  to.private_hugetlb += from.private_hugetlb;
}

std::vector<uint64_t> ReadThreadStackPointers(ProcHandle& h, int* threads,
                                              int* unknown) {
  std::vector<uint64_t> sps;
  // An unreadable task list leaves threads 0 (unknown): the process still
  // counts, its thread stacks show as anonymous memory.
  auto tasks = h.ListTasks();
  if (!tasks.ok()) return sps;
  *threads = static_cast<int>(tasks->size());
  for (int tid : *tasks) {
    if (tid == h.pid()) continue;  // the main stack is "[stack]"
    // A thread that exited, is on a CPU ("running") or whose file we may
    // not read (it needs ptrace attach permission) gives no pointer.
    auto text = h.ReadFile(absl::StrCat("task/", tid, "/syscall"));
    uint64_t sp = text.ok() ? ParseSyscallStackPointer(*text) : 0;
    if (sp != 0) {
      sps.push_back(sp);
    } else {
      ++*unknown;
    }
  }
  std::sort(sps.begin(), sps.end());
  return sps;
}

void ReadSmapsRollups(ProcSource& source, ScanResult& result, int threads) {
  std::vector<ProcessRecord>& recs = result.processes;
  std::vector<Outcome> outcomes(recs.size(), Outcome::kRecord);
  tbb::task_arena arena(std::max(1, threads));
  arena.execute([&] {
    ParallelFor(size_t{0}, recs.size(), [&](size_t i) {
      auto h = source.OpenProcess(recs[i].id.pid);
      if (!h.ok()) {
        outcomes[i] = FailureOutcome(h.status());
        return;
      }
      auto rollup = ProcessReader::ReadRollup(**h);
      if (!rollup.ok()) {
        outcomes[i] = FailureOutcome(rollup.status());
        return;
      }
      recs[i].smaps = *rollup;
    });
  });
  size_t kept = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    switch (outcomes[i]) {
      case Outcome::kRecord:
        if (kept != i) recs[kept] = std::move(recs[i]);
        ++kept;
        break;
      case Outcome::kUnreadable:
        ++result.stats.unreadable;
        result.stats.unreadable_pids.push_back(recs[i].id.pid);
        break;
      default:
        ++result.stats.vanished;
        result.stats.vanished_pids.push_back(recs[i].id.pid);
        break;
    }
  }
  recs.resize(kept);
  std::sort(result.stats.vanished_pids.begin(),
            result.stats.vanished_pids.end());
  std::sort(result.stats.unreadable_pids.begin(),
            result.stats.unreadable_pids.end());
  result.stats.scanned = kept;
}

absl::StatusOr<ScanResult> Scan(ProcSource& source, const ScanOptions& options,
                                const KeepFn& keep) {
  auto t0 = std::chrono::steady_clock::now();
  auto pids_or = source.ListPids();
  if (!pids_or.ok()) return pids_or.status();
  const std::vector<int>& pids = *pids_or;

  ScanResult result;
  ScanStats& stats = result.stats;
  stats.listed = pids.size();
  stats.threads = std::max(1, options.threads);
  tbb::task_arena arena(stats.threads);
  std::vector<std::optional<uint64_t>> stat_flags;
  result.parents = ReadParents(source, pids, arena, stat_flags);

  // pagemap offsets and PFNs are in units of the system's page size; a
  // size this code does not decode gives PSS from smaps rather than wrong
  // offsets.
  const uint64_t page_size = source.PageSize();
  const bool page_size_ok = page_size == kPageSize;
  if (options.read_pages && !page_size_ok) {
    stats.page_level_off = absl::StrFormat(
        "the page size is %d KiB: RSS/USS by page are computed for 4 KiB "
        "pages only (PSS comes from smaps)",
        page_size / 1024);
  }
  const bool read_pages = options.read_pages && page_size_ok;
  const bool read_smaps = options.read_smaps || !read_pages;

  std::vector<ProcessRecord> records(pids.size());
  std::vector<Outcome> outcomes(pids.size(), Outcome::kVanished);
  std::vector<std::vector<UnlinkedObject>> held_outside(pids.size());
  std::atomic<uint64_t> zero_pfns{0};
  std::atomic<uint64_t> bad_pfns{0};
  std::atomic<uint64_t> pfn_swap{0};
  std::atomic<uint64_t> markers{0};
  std::atomic<uint64_t> reused_windows{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> exhausted{false};
  result.segments = std::make_unique<SegmentStore>(options.budget);
  std::optional<ObjectPages> objects;
  if (options.object_pages) objects.emplace(options.budget);
  ProcessReader reader(source, options, read_pages, read_smaps, result.parents,
                       keep, *result.segments, objects ? &*objects : nullptr,
                       ReadTmpfsDevices(source));

  arena.execute([&] {
    ParallelFor(size_t{0}, pids.size(), [&](size_t i) {
      if (exhausted.load(std::memory_order_relaxed)) return;
      EntryCounts counts;
      bool over = false;
      outcomes[i] =
          reader.Read(pids[i], stat_flags[i], records[i], counts, over);
      zero_pfns.fetch_add(counts.zero_pfns, std::memory_order_relaxed);
      bad_pfns.fetch_add(counts.bad_pfns, std::memory_order_relaxed);
      pfn_swap.fetch_add(counts.pfn_swap, std::memory_order_relaxed);
      markers.fetch_add(counts.markers, std::memory_order_relaxed);
      reused_windows.fetch_add(counts.reused_windows,
                               std::memory_order_relaxed);
      if (over) exhausted.store(true);
      if (outcomes[i] != Outcome::kRecord) {
        if (options.budget != nullptr) {
          options.budget->Release(
              records[i].segments.capacity() * sizeof(uint32_t) +
              records[i].swap.capacity() * sizeof(uint64_t) +
              UsageBytes(records[i]));
        }
        records[i] = ProcessRecord();
      }
      size_t d = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (options.progress) options.progress(d, pids.size());
    });
  });
  if (exhausted.load()) {
    uint64_t limit_mib = options.budget ? options.budget->limit() >> 20 : 0;
    return absl::ResourceExhaustedError(absl::StrFormat(
        "memory limit of %d MiB reached after reading %d of %d processes; "
        "no numbers were printed. Raise --mem-limit or narrow --filter",
        limit_mib, done.load(), pids.size()));
  }

  if (options.shm_holders) {
    ReadHolders(source, pids, outcomes, records, held_outside, arena);
  }

  for (size_t i = 0; i < pids.size(); ++i) {
    switch (outcomes[i]) {
      case Outcome::kRecord:
        result.processes.push_back(std::move(records[i]));
        break;
      case Outcome::kFiltered:
        ++stats.filtered_out;
        for (UnlinkedObject& o : held_outside[i]) {
          result.unlinked_held_outside.push_back(std::move(o));
        }
        break;
      case Outcome::kKernelThread:
        ++stats.kernel_threads;
        break;
      case Outcome::kVanished:
        ++stats.vanished;
        stats.vanished_pids.push_back(pids[i]);
        break;
      case Outcome::kUnreadable:
        ++stats.unreadable;
        stats.unreadable_pids.push_back(pids[i]);
        break;
    }
  }
  std::vector<UnlinkedObject>& outside = result.unlinked_held_outside;
  std::sort(outside.begin(), outside.end());
  outside.erase(std::unique(outside.begin(), outside.end()), outside.end());
  stats.scanned = result.processes.size();
  stats.zero_pfn_entries = zero_pfns.load();
  stats.out_of_range_pfns = bad_pfns.load();
  stats.pfn_swap_entries = pfn_swap.load();
  stats.pte_markers = markers.load();
  stats.object_windows_reused = reused_windows.load();
  bool any_real_pfn = false;
  for (const ProcessRecord& r : result.processes) {
    if (!r.segments.empty()) {
      any_real_pfn = true;
      break;
    }
  }
  // Decided from what pagemap returned: root without CAP_SYS_ADMIN (a
  // default container, a service with a capability bounding set) can open
  // every file and still reads PFN 0.
  stats.pfns_hidden = stats.zero_pfn_entries > 0 && !any_real_pfn;
  if (stats.pfns_hidden) {
    stats.page_level_off =
        "physical page numbers are hidden (pagemap reads PFN 0 without "
        "CAP_SYS_ADMIN, which root in a container or under a capability "
        "bounding set lacks too): RSS/USS by page need it; PSS comes from "
        "smaps";
    if (!read_smaps) ReadSmapsRollups(source, result, stats.threads);
  }

  auto shm = source.ReadSystemFile("sysvipc/shm");
  if (shm.ok()) {
    auto segs = ParseSysvShm(*shm);
    if (segs.ok()) result.sysv = std::move(*segs);
  }
  result.shmem_objects =
      ReadShmemObjects(source, result.processes, &stats.shmem_objects_unknown);
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return result;
}

}  // namespace memstats::scan
