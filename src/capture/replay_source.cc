#include "capture/replay_source.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "scan/pagemap.h"
#include "scan/segment_store.h"

namespace memstats::capture {
namespace {

// The first answer a replay could not give (ProcSource::Incomplete).
class MissLog {
 public:
  absl::Status Note(absl::Status s) {
    std::lock_guard<std::mutex> l(mu_);
    if (first_.ok()) first_ = s;
    return s;
  }
  absl::Status First() const {
    std::lock_guard<std::mutex> l(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;
  absl::Status first_;
};

// Every object's usage answer, from any mapper: an OK answer when there
// is one.
class ObjectUsage {
 public:
  explicit ObjectUsage(const CaptureData& d) {
    for (const auto& [pid, p] : d.processes) {
      for (const ShmemAnswer& a : p.shmem) {
        auto [it, added] = by_key_.emplace(a.key, &a);
        if (!added && it->second->status.code != absl::StatusCode::kOk) {
          it->second = &a;
        }
      }
    }
  }
  const ShmemAnswer* Find(const scan::ShmemKey& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
  }

 private:
  std::map<scan::ShmemKey, const ShmemAnswer*> by_key_;
};

class ReplayHandle : public scan::ProcHandle {
 public:
  ReplayHandle(int pid, const CapturedProcess& p, const std::string& name,
               const ObjectUsage& objects, MissLog& misses)
      : pid_(pid), p_(p), name_(name), objects_(objects), misses_(misses) {}

  int pid() const override { return pid_; }

  absl::StatusOr<std::string> ReadFile(std::string_view name) override {
    return Find(absl::StrCat("f:", std::string{name}));
  }
  absl::StatusOr<std::string> ReadLink(std::string_view name) override {
    return Find(absl::StrCat("l:", std::string{name}));
  }
  absl::StatusOr<std::vector<int>> ListTasks() override { return Ids("tasks"); }
  absl::StatusOr<std::vector<int>> ListFds() override { return Ids("fds"); }

  absl::Status ReadPagemap(uint64_t first_vpn,
                           std::span<uint64_t> out) override {
    if (auto it = p_.answers.find(absl::StrCat("pagemap@", first_vpn));
        it != p_.answers.end()) {
      return FromAnswer(it->second).status();
    }
    if (!Covered(first_vpn, first_vpn + out.size())) {
      return NotCaptured(absl::StrCat("pagemap pages ", first_vpn, "-",
                                      first_vpn + out.size()));
    }
    // Zeros only where no run is: most of a populated range is runs. Only
    // the windows the read overlaps are decoded.
    const uint64_t end = first_vpn + out.size();
    uint64_t at = first_vpn;  // entries before it are written
    const PageWindows& pw = p_.page_windows;
    thread_local std::vector<PagemapRun> runs;
    for (size_t i = FirstWindowEndingAfter(first_vpn);
         i < pw.windows.size() && pw.windows[i].index * scan::kWindowPages < end;
         ++i) {
      runs.clear();
      if (!DecodeWindow(pw, i, runs)) {
        return misses_.Note(absl::FailedPreconditionError(absl::StrCat(
            name_, ": corrupted (page runs of process ", pid_, ")")));
      }
      for (const PagemapRun& r : runs) {
        if (r.vpn + r.count <= first_vpn) continue;
        if (r.vpn >= end) break;
        const uint64_t step = PagemapStep(r.entry);
        const uint64_t from = std::max(r.vpn, first_vpn);
        const uint64_t to = std::min(r.vpn + r.count, end);
        std::fill(out.begin() + static_cast<ptrdiff_t>(at - first_vpn),
                  out.begin() + static_cast<ptrdiff_t>(from - first_vpn), 0);
        for (uint64_t v = from; v < to; ++v) {
          out[v - first_vpn] = r.entry + step * (v - r.vpn);
        }
        at = to;
      }
    }
    std::fill(out.begin() + static_cast<ptrdiff_t>(at - first_vpn), out.end(),
              0);
    return absl::OkStatus();
  }

  // The present and the swapped stretches of [start, end), as the kernel
  // gives them: the scanner reads what they cover, or takes a shared
  // object's window from another process's read (scan::ObjectPages). A
  // run's entries are all present or all swapped (they differ in the PFN
  // or swap offset only).
  absl::Status ScanPresent(uint64_t start, uint64_t end,
                           std::vector<Range>& ranges) override {
    const uint64_t first = start >> scan::kPageShift;
    const uint64_t last = (end + scan::kPageSize - 1) >> scan::kPageShift;
    if (!Covered(first, last)) {
      return NotCaptured(absl::StrCat("pagemap pages ", first, "-", last));
    }
    const std::vector<PageStretch>& stretches = p_.page_windows.stretches;
    for (auto it = std::partition_point(
             stretches.begin(), stretches.end(),
             [first](const PageStretch& s) { return s.end <= first; });
         it != stretches.end() && it->first < last; ++it) {
      const uint64_t category = it->kind == PageStretch::kPresent
                                    ? scan::kPageIsPresent
                                    : scan::kPageIsSwapped;
      const uint64_t from = std::max(it->first, first) << scan::kPageShift;
      const uint64_t to = std::min(it->end, last) << scan::kPageShift;
      if (!ranges.empty() && ranges.back().end == from &&
          ranges.back().categories == category) {
        ranges.back().end = to;
      } else {
        ranges.push_back({from, to, category});
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<scan::ShmemUsage> MappedShmemUsage(
      uint64_t start, uint64_t end, const scan::ShmemKey& key) override {
    for (const ShmemAnswer& a : p_.shmem) {
      if (a.start == start && a.end == end && a.key == key) {
        if (a.status.code != absl::StatusCode::kOk) {
          return absl::Status(a.status.code, a.status.data);
        }
        return a.usage;
      }
    }
    // The object's usage as another mapper read it: the figures are the
    // object's, whoever opens it.
    if (const ShmemAnswer* a = objects_.Find(key)) {
      if (a->status.code != absl::StatusCode::kOk) {
        return absl::Status(a->status.code, a->status.data);
      }
      return a->usage;
    }
    return NotCaptured(absl::StrFormat("map_files/%x-%x", start, end));
  }

 private:
  absl::Status NotCaptured(const std::string& what) const {
    return misses_.Note(absl::FailedPreconditionError(absl::StrCat(
        name_, ": process ", pid_, ": ", what, " not in the capture")));
  }
  absl::StatusOr<std::string> Find(const std::string& key) const {
    auto it = p_.answers.find(key);
    if (it == p_.answers.end()) return NotCaptured(key.substr(2));
    return FromAnswer(it->second);
  }
  absl::StatusOr<std::vector<int>> Ids(const std::string& key) const {
    auto it = p_.answers.find(key);
    if (it == p_.answers.end()) return NotCaptured(key);
    auto text = FromAnswer(it->second);
    if (!text.ok()) return text.status();
    auto ids = SplitIds(*text);
    if (!ids) return NotCaptured(key);  // the reader checked; never here
    return *ids;
  }
  bool Covered(uint64_t first, uint64_t end) const {
    if (first >= end) return true;
    auto it = std::upper_bound(
        p_.covered.begin(), p_.covered.end(), first,
        [](uint64_t v, const VpnRange& r) { return v < r.first; });
    if (it == p_.covered.begin()) return false;
    --it;
    return it->first <= first && end <= it->end;
  }
  size_t FirstWindowEndingAfter(uint64_t vpn) const {
    const auto& windows = p_.page_windows.windows;
    return static_cast<size_t>(
        std::partition_point(windows.begin(), windows.end(),
                             [vpn](const PageWindows::Window& w) {
                               return (w.index + 1) * scan::kWindowPages <= vpn;
                             }) -
        windows.begin());
  }

  int pid_;
  const CapturedProcess& p_;
  const std::string& name_;
  const ObjectUsage& objects_;
  MissLog& misses_;
};

class ReplaySource : public scan::ProcSource {
 public:
  ReplaySource(CaptureData data, std::string name)
      : d_(std::move(data)), name_(std::move(name)), objects_(d_) {
    // Runs as recorded (a capture not read from a file) are stored as a
    // file would hold them: one way to answer.
    for (auto& [pid, p] : d_.processes) {
      if (p.pagemap.empty()) continue;
      p.page_windows = StoreRuns(p.pagemap);
      p.pagemap = {};
    }
    for (const auto& [uid, user] : d_.users) by_name_.emplace(user, uid);
  }

  const CaptureInfo& info() const { return d_.info; }

  absl::StatusOr<std::vector<int>> ListPids() override {
    auto text = FromAnswer(d_.pids);
    if (!text.ok()) return text.status();
    auto ids = SplitIds(*text);
    if (!ids) return absl::DataLossError(absl::StrCat(name_, ": bad pid list"));
    return *ids;
  }

  absl::StatusOr<std::unique_ptr<scan::ProcHandle>> OpenProcess(
      int pid) override {
    auto it = d_.processes.find(pid);
    if (it == d_.processes.end()) {
      return misses_.Note(absl::FailedPreconditionError(
          absl::StrCat(name_, ": process ", pid, " not in the capture")));
    }
    if (it->second.open.code != absl::StatusCode::kOk) {
      return absl::Status(it->second.open.code, it->second.open.data);
    }
    return std::unique_ptr<scan::ProcHandle>(
        new ReplayHandle(pid, it->second, name_, objects_, misses_));
  }

  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override {
    auto it = d_.system.find(std::string{name});
    if (it == d_.system.end()) {
      return misses_.Note(absl::FailedPreconditionError(
          absl::StrCat(name_, ": ", std::string{name}, " not in the capture")));
    }
    return FromAnswer(it->second);
  }

  absl::Status ReadKpagecount(uint64_t first_pfn,
                              std::span<uint64_t> out) override {
    return ReadKpage(first_pfn, out, /*flags=*/false);
  }
  absl::Status ReadKpageflags(uint64_t first_pfn,
                              std::span<uint64_t> out) override {
    return ReadKpage(first_pfn, out, /*flags=*/true);
  }

  std::string Describe() const override { return name_; }
  uint64_t PageSize() const override { return d_.info.page_size; }

  std::optional<std::string> UserName(uint32_t uid) const override {
    auto it = d_.users.find(uid);
    if (it == d_.users.end()) return std::nullopt;
    return it->second;
  }
  std::optional<uint32_t> UserId(std::string_view name) const override {
    auto it = by_name_.find(std::string{name});
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  int SelfPid() const override { return d_.info.self_pid; }
  absl::Status Incomplete() const override { return misses_.First(); }

  absl::Status CheckEnvKeys(
      const absl::flat_hash_set<std::string>& keys) const override {
    const auto& kept = d_.info.env_values;
    std::vector<std::string> missing;
    for (const std::string& k : keys) {
      if (!std::binary_search(kept.begin(), kept.end(), k)) {
        missing.push_back(k);
      }
    }
    if (missing.empty()) return absl::OkStatus();
    std::sort(missing.begin(), missing.end());
    return absl::FailedPreconditionError(absl::StrCat(
        name_, ": ",
        kept.empty() ? std::string("the capture holds no environment values")
                     : absl::StrCat("the capture holds values of ",
                                    absl::StrJoin(kept, ", "), " only"),
        "; capture with ",
        absl::StrJoin(missing, " ", [](std::string* out, const std::string& k) {
          absl::StrAppend(out, "--env ", k);
        })));
  }

 private:
  // PFNs no process referenced inside a read span (the page catalog reads
  // spans across short gaps and skips those PFNs) read as an absent page;
  // a span with no captured PFN at all is an error.
  absl::Status ReadKpage(uint64_t first, std::span<uint64_t> out, bool flags) {
    if (d_.kpage_status.code != absl::StatusCode::kOk) {
      return absl::Status(d_.kpage_status.code, d_.kpage_status.data);
    }
    const uint64_t fill = flags ? 1ULL << scan::kKpfNoPage : 0;
    std::fill(out.begin(), out.end(), fill);
    const uint64_t end = first + out.size();
    auto it = std::partition_point(
        d_.kpages.begin(), d_.kpages.end(),
        [first](const KpageRun& r) { return r.pfn + r.count <= first; });
    bool any = false;
    for (; it != d_.kpages.end() && it->pfn < end; ++it) {
      const uint64_t from = std::max(it->pfn, first);
      const uint64_t to = std::min(it->pfn + it->count, end);
      for (uint64_t p = from; p < to; ++p) {
        out[p - first] = flags ? it->flags : it->mapcount;
      }
      any = any || from < to;
    }
    if (!any && !out.empty()) {
      return misses_.Note(absl::FailedPreconditionError(
          absl::StrCat(name_, ": ", flags ? "kpageflags" : "kpagecount",
                       " of PFNs ", first, "-", end, " not in the capture")));
    }
    return absl::OkStatus();
  }

  CaptureData d_;
  std::string name_;
  std::map<std::string, uint32_t> by_name_;
  ObjectUsage objects_;
  MissLog misses_;
};

}  // namespace

std::unique_ptr<scan::ProcSource> NewReplaySource(CaptureData data,
                                                  std::string name) {
  return std::make_unique<ReplaySource>(std::move(data), std::move(name));
}

const CaptureInfo* CaptureInfoOf(const scan::ProcSource& source) {
  const auto* replay = dynamic_cast<const ReplaySource*>(&source);
  return replay != nullptr ? &replay->info() : nullptr;
}

}  // namespace memstats::capture
