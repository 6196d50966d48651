#include "capture/recording_source.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "capture/kpage_recording.h"
#include "scan/pagemap.h"
#include "scan/parallel.h"
#include "scan/parsers.h"
#include "scan/physical_ram.h"
#include "scan/scanner.h"
#include "scan/unlinked.h"

namespace memstats::capture {
namespace {

// Keeps the lines of `text` for which keep(line) holds.
template <typename Keep>
std::string KeepLines(const std::string& text, Keep keep) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (keep(line)) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// What of a system file a capture keeps: iomem's "System RAM" lines (the
// PFN limit), mountinfo's tmpfs mounts; other files whole.
std::string Reduce(std::string_view name, const std::string& text) {
  if (name == "iomem") {
    return KeepLines(text, [](absl::string_view l) {
      return absl::EndsWith(l, ": System RAM");
    });
  }
  if (name == "self/mountinfo") {
    return KeepLines(text, [](absl::string_view l) {
      return absl::StrContains(l, " - tmpfs ");
    });
  }
  return text;
}

}  // namespace

class RecordingSource::Handle : public scan::ProcHandle {
 public:
  Handle(const RecordingSource& owner, std::unique_ptr<scan::ProcHandle> live,
         Slot& slot)
      : owner_(owner), live_(std::move(live)), slot_(slot) {}

  int pid() const override { return live_->pid(); }

  absl::StatusOr<std::string> ReadFile(std::string_view name) override {
    auto text = live_->ReadFile(name);
    if (text.ok() && name == "environ") {
      text = owner_.FilterEnviron(*text);
    }
    Keep(absl::StrCat("f:", std::string{name}), text);
    return text;
  }

  absl::StatusOr<std::string> ReadLink(std::string_view name) override {
    auto text = live_->ReadLink(name);
    Keep(absl::StrCat("l:", std::string{name}), text);
    return text;
  }

  absl::Status ReadPagemap(uint64_t first_vpn,
                           std::span<uint64_t> out) override {
    absl::Status s = live_->ReadPagemap(first_vpn, out);
    if (!s.ok()) {
      Keep(absl::StrCat("pagemap@", first_vpn), s);
      return s;
    }
    std::lock_guard<std::mutex> l(slot_.mu);
    CapturedProcess& p = slot_.process;
    p.covered.push_back({first_vpn, first_vpn + out.size()});
    AppendPagemapRuns(first_vpn, out, p.pagemap);
    return s;
  }

  absl::StatusOr<std::vector<int>> ListTasks() override {
    auto ids = live_->ListTasks();
    KeepIds("tasks", ids);
    return ids;
  }

  absl::StatusOr<std::vector<int>> ListFds() override {
    auto ids = live_->ListFds();
    KeepIds("fds", ids);
    return ids;
  }

  // The range scanned counts as read: the replay answers its present
  // ranges from the entries read afterwards, and zeros elsewhere.
  absl::Status ScanPresent(uint64_t start, uint64_t end,
                           std::vector<Range>& ranges) override {
    absl::Status s = live_->ScanPresent(start, end, ranges);
    if (s.ok()) {
      std::lock_guard<std::mutex> l(slot_.mu);
      slot_.process.covered.push_back(
          {start >> scan::kPageShift,
           (end + scan::kPageSize - 1) >> scan::kPageShift});
    }
    return s;
  }

  absl::StatusOr<scan::ShmemUsage> MappedShmemUsage(
      uint64_t start, uint64_t end, const scan::ShmemKey& key) override {
    auto usage = live_->MappedShmemUsage(start, end, key);
    ShmemAnswer a{start, end, key, {}, {}};
    if (usage.ok()) {
      a.usage = *usage;
    } else {
      a.status =
          Answer{usage.status().code(), std::string{usage.status().message()}};
    }
    std::lock_guard<std::mutex> l(slot_.mu);
    slot_.process.shmem.push_back(std::move(a));
    return usage;
  }

 private:
  void Keep(std::string key, const absl::StatusOr<std::string>& text) {
    std::lock_guard<std::mutex> l(slot_.mu);
    slot_.process.answers[std::move(key)] = ToAnswer(text);
  }
  void Keep(std::string key, const absl::Status& s) {
    Keep(std::move(key), absl::StatusOr<std::string>(s));
  }
  void KeepIds(std::string key, const absl::StatusOr<std::vector<int>>& ids) {
    if (ids.ok()) {
      Keep(std::move(key), absl::StatusOr<std::string>(JoinIds(*ids)));
    } else {
      Keep(std::move(key), ids.status());
    }
  }

  const RecordingSource& owner_;
  std::unique_ptr<scan::ProcHandle> live_;
  Slot& slot_;
};

RecordingSource::RecordingSource(std::unique_ptr<scan::ProcSource> live,
                                 const std::vector<std::string>& env_values)
    : live_(std::move(live)),
      env_values_(env_values.begin(), env_values.end()),
      env_values_sorted_(env_values_.begin(), env_values_.end()) {
  std::sort(env_values_sorted_.begin(), env_values_sorted_.end());
}

RecordingSource::~RecordingSource() = default;

RecordingSource::Slot& RecordingSource::SlotOf(int pid) {
  std::lock_guard<std::mutex> l(mu_);
  std::unique_ptr<Slot>& slot = slots_[pid];
  if (slot == nullptr) slot = std::make_unique<Slot>();
  return *slot;
}

absl::StatusOr<std::vector<int>> RecordingSource::ListPids() {
  auto pids = live_->ListPids();
  std::lock_guard<std::mutex> l(mu_);
  pids_ = pids.ok() ? Answer{absl::StatusCode::kOk, JoinIds(*pids)}
                    : Answer{pids.status().code(),
                             std::string{pids.status().message()}};
  return pids;
}

absl::StatusOr<std::unique_ptr<scan::ProcHandle>> RecordingSource::OpenProcess(
    int pid) {
  auto h = live_->OpenProcess(pid);
  Slot& slot = SlotOf(pid);
  std::lock_guard<std::mutex> l(slot.mu);
  // The last open's answer: a process that exited after its stat was read
  // for the parent map replays as gone, as the scan found it (its files
  // after stat were never read).
  if (!h.ok()) {
    slot.process.open =
        Answer{h.status().code(), std::string{h.status().message()}};
    return h.status();
  }
  slot.process.open = Answer{};
  return std::unique_ptr<scan::ProcHandle>(
      new Handle(*this, std::move(*h), slot));
}

absl::StatusOr<std::string> RecordingSource::ReadSystemFile(
    std::string_view name) {
  auto text = live_->ReadSystemFile(name);
  if (text.ok()) text = Reduce(name, *text);
  std::lock_guard<std::mutex> l(mu_);
  system_[std::string{name}] = ToAnswer(text);
  return text;
}

absl::Status RecordingSource::ReadKpagecount(uint64_t first_pfn,
                                             std::span<uint64_t> out) {
  return live_->ReadKpagecount(first_pfn, out);
}

absl::Status RecordingSource::ReadKpageflags(uint64_t first_pfn,
                                             std::span<uint64_t> out) {
  return live_->ReadKpageflags(first_pfn, out);
}

std::optional<std::string> RecordingSource::UserName(uint32_t uid) const {
  auto name = live_->UserName(uid);
  if (name) {
    std::lock_guard<std::mutex> l(mu_);
    users_[uid] = *name;
  }
  return name;
}

std::optional<uint32_t> RecordingSource::UserId(std::string_view name) const {
  auto uid = live_->UserId(name);
  if (uid) {
    std::lock_guard<std::mutex> l(mu_);
    users_[*uid] = std::string{name};
  }
  return uid;
}

// environ is "NAME=VALUE\0...": the values of env_values_ are kept, of
// the other variables only "NAME" (no '=': no value to read back).
std::string RecordingSource::FilterEnviron(const std::string& text) const {
  std::string out;
  for (absl::string_view var : absl::StrSplit(text, '\0', absl::SkipEmpty())) {
    const size_t eq = var.find('=');
    const absl::string_view name = var.substr(0, eq);
    if (eq != absl::string_view::npos && env_values_.contains(name)) {
      out.append(var.data(), var.size());
    } else {
      out.append(name.data(), name.size());
    }
    out.push_back('\0');
  }
  return out;
}

// The user name of the process's uid (status "Uid:"), kept for the capture.
void RecordingSource::KeepUserOf(Slot& slot) {
  std::string text;
  {
    std::lock_guard<std::mutex> l(slot.mu);
    auto it = slot.process.answers.find("f:status");
    if (it == slot.process.answers.end() ||
        it->second.code != absl::StatusCode::kOk) {
      return;
    }
    text = it->second.data;
  }
  if (auto status = scan::ParseStatus(text); status.ok()) {
    (void)UserName(status->uid);
  }
}

void RecordingSource::CompleteProcesses() {
  std::vector<int> pids;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [pid, slot] : slots_) {
      std::lock_guard<std::mutex> sl(slot->mu);
      if (slot->process.open.code == absl::StatusCode::kOk) {
        pids.push_back(pid);
      }
    }
  }
  // The scan read fd links (every process's) only because some process
  // maps an unlinked object; then a replay with a filter reads them of
  // any process, so those it could not read here are tried again. When
  // it did not, no replay will read them either.
  bool holders_read = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [pid, slot] : slots_) {
      std::lock_guard<std::mutex> sl(slot->mu);
      if (slot->process.answers.contains("fds")) {
        holders_read = true;
        break;
      }
    }
  }
  const scan::TmpfsDevices tmpfs = scan::ReadTmpfsDevices(*this);
  std::mutex keys_mu;
  std::set<scan::ShmemKey> known;  // objects with a usage answer
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [pid, slot] : slots_) {
      std::lock_guard<std::mutex> sl(slot->mu);
      for (const ShmemAnswer& a : slot->process.shmem) {
        if (a.status.code == absl::StatusCode::kOk) known.insert(a.key);
      }
    }
  }
  scan::ParallelFor(size_t{0}, pids.size(), [&](size_t i) {
    auto h = OpenProcess(pids[i]);
    if (!h.ok()) return;
    Slot& slot = SlotOf(pids[i]);
    auto missing = [&slot](const std::string& key) {
      std::lock_guard<std::mutex> l(slot.mu);
      return !slot.process.answers.contains(key);
    };
    // Kernel threads: the scan stopped at stat; procinfo reads status.
    if (missing("f:status")) (void)(*h)->ReadFile("status");
    KeepUserOf(slot);
    // What the scan reads of a process a filter leaves out (does it hold
    // unlinked shared memory?), for one whose memory files failed here:
    // a replay with a filter reads them.
    if (holders_read && missing("fds")) {
      std::vector<scan::UnlinkedObject> held;
      scan::ReadUnlinkedHolds(**h, held);
    }
    {
      std::lock_guard<std::mutex> l(slot.mu);
      auto maps = slot.process.answers.find("f:maps");
      if (maps == slot.process.answers.end() ||
          maps->second.code != absl::StatusCode::kOk) {
        return;  // a kernel thread, or gone
      }
    }
    // Each shared memory object's usage once, from whichever mapper comes
    // first: the replay answers every mapper of the object with it.
    std::string maps_text;
    {
      std::lock_guard<std::mutex> l(slot.mu);
      maps_text = slot.process.answers["f:maps"].data;
    }
    if (auto maps = scan::ParseMaps(maps_text); maps.ok()) {
      for (const scan::ShmemMapRef& ref : scan::ShmemMapRefs(*maps, tmpfs)) {
        {
          std::lock_guard<std::mutex> l(keys_mu);
          if (known.contains(ref.key)) continue;
        }
        auto usage = (*h)->MappedShmemUsage(ref.start, ref.end, ref.key);
        if (usage.ok()) {
          std::lock_guard<std::mutex> l(keys_mu);
          known.insert(ref.key);
        }
      }
    }
    if (missing("f:smaps_rollup")) (void)(*h)->ReadFile("smaps_rollup");
    if (missing("tasks")) {
      int threads = 0, unknown = 0;
      (void)scan::ReadThreadStackPointers(**h, &threads, &unknown);
    }
    if (missing("f:smaps")) (void)(*h)->ReadFile("smaps");
    if (missing("f:environ")) (void)(*h)->ReadFile("environ");
  });
}

void RecordingSource::RecordKpages() {
  // The referenced PFNs: every present run, and the PFN under migration of
  // a non-present run that names one; PFN 0 too.
  ReferencedPfns pfns(scan::PfnLimit(*live_));
  pfns.Add(0, 1);
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [pid, slot] : slots_) {
      std::lock_guard<std::mutex> sl(slot->mu);
      for (const PagemapRun& r : slot->process.pagemap) {
        if (scan::PmIsPresent(r.entry)) {
          pfns.Add(scan::PmPfn(r.entry), scan::PmPfn(r.entry) + r.count);
        } else if (scan::PmIsSwapped(r.entry) &&
                   scan::PmSwapEntryKind(r.entry) ==
                       scan::SwapEntryKind::kPage) {
          pfns.Add(scan::PmSwapOffset(r.entry),
                   scan::PmSwapOffset(r.entry) + r.count);
        }
      }
    }
  }
  auto runs = ReadKpageRuns(*live_, pfns);
  kpage_status_ = runs.ok() ? Answer{}
                            : Answer{runs.status().code(),
                                     std::string{runs.status().message()}};
  kpages_ = runs.ok() ? std::move(*runs) : std::vector<KpageRun>{};
}

void RecordingSource::RecordSystemFiles(const std::vector<std::string>& names) {
  for (const std::string& name : names) (void)ReadSystemFile(name);
}

CaptureData RecordingSource::Finish(CaptureInfo info) {
  CaptureData d;
  info.env_values = env_values_sorted_;
  d.info = std::move(info);
  std::lock_guard<std::mutex> l(mu_);
  d.pids = std::move(pids_);
  d.system = std::move(system_);
  d.users = std::move(users_);
  d.kpage_status = std::move(kpage_status_);
  d.kpages = std::move(kpages_);
  for (auto& [pid, slot] : slots_) {
    CapturedProcess& p = slot->process;
    MergeRanges(p.covered);
    // The scanner reads each process's pages in ascending order: sorted
    // already, unless a caller read out of order.
    auto by_vpn = [](const PagemapRun& a, const PagemapRun& b) {
      return a.vpn < b.vpn;
    };
    if (!std::is_sorted(p.pagemap.begin(), p.pagemap.end(), by_vpn)) {
      std::sort(p.pagemap.begin(), p.pagemap.end(), by_vpn);
    }
    d.processes[pid] = std::move(p);
  }
  slots_.clear();
  return d;
}

}  // namespace memstats::capture
