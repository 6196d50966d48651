// FakeProcSource: an in-memory /proc for unit tests. It records which files
// were read and can inject faults: a pid that vanishes after N reads, a
// file that answers EACCES, a truncated file.
#ifndef MEMSTATS_TESTS_FAKE_PROC_SOURCE_H_
#define MEMSTATS_TESTS_FAKE_PROC_SOURCE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scan/pagemap.h"
#include "scan/proc_source.h"

namespace memstats::testing {

class FakeProcSource : public scan::ProcSource {
 public:
  struct Process {
    std::map<std::string, std::string> files;  // "status" -> text
    std::string exe;
    std::map<uint64_t, uint64_t> pagemap;      // vpn -> entry
    uint64_t pagemap_entries_read = 0;         // by ReadPagemap, in all
    // ListTasks() answers these thread ids; empty means just the pid. A
    // thread's files go into `files` as "task/TID/syscall".
    std::vector<int> tasks;
    // ListFds() answers these fds, ReadLink("fd/N") their link text; an
    // fd's fdinfo goes into `files` as "fdinfo/N".
    std::map<int, std::string> fds;
    // Faults.
    int vanish_after_reads = -1;  // NotFound once this many reads were made
    // Once this many reads were made, files found here answer instead of
    // `files` (a process that changes, e.g. starts to exit, mid-scan).
    int change_after_reads = -1;
    std::map<std::string, std::string> changed_files;
    std::map<std::string, int> file_errno;  // "smaps_rollup" -> EACCES
    // MappedShmemUsage() by [start, end): its answer (absent: NotFound, as
    // a range that maps nothing by now).
    std::map<std::pair<uint64_t, uint64_t>, absl::StatusOr<scan::ShmemUsage>>
        shmem;
  };

  Process& Add(int pid) { return procs_[pid]; }
  void SetKpage(uint64_t pfn, uint64_t flags, uint64_t count) {
    kpageflags_[pfn] = flags;
    kpagecount_[pfn] = count;
  }
  void SetSystemFile(const std::string& name, std::string text) {
    system_[name] = std::move(text);
  }
  void DenyKpage() { kpage_errno_ = EACCES; }
  // What NoKsmPages() says (false, as for any source that cannot tell).
  void SetNoKsmPages(bool none) { no_ksm_pages_ = none; }
  bool NoKsmPages() const override { return no_ksm_pages_; }
  // The system's page size (PageSize()).
  void SetPageSize(uint64_t bytes) { page_size_ = bytes; }
  // Answer ScanPresent() as the kernel's PAGEMAP_SCAN does (else it is
  // unsupported, as before Linux 6.7).
  void EnablePagemapScan() { pagemap_scan_ = true; }
  // ScanPresent() answers ranges without their categories (0), as a
  // capture's replay does.
  void HideScanCategories() { scan_categories_ = false; }

  // Every read as "PID/file" or "kpageflags@PFN", in order (a task list as
  // "PID/task").
  std::vector<std::string> reads() const {
    std::lock_guard<std::mutex> l(mu_);
    return reads_;
  }

  absl::StatusOr<std::vector<int>> ListPids() override {
    std::vector<int> pids;
    for (const auto& [pid, p] : procs_) pids.push_back(pid);
    return pids;
  }

  absl::StatusOr<std::unique_ptr<scan::ProcHandle>> OpenProcess(
      int pid) override {
    auto it = procs_.find(pid);
    if (it == procs_.end()) return absl::NotFoundError(absl::StrCat(pid));
    return std::unique_ptr<scan::ProcHandle>(new Handle(this, pid, &it->second));
  }

  absl::StatusOr<std::string> ReadSystemFile(std::string_view name) override {
    Record(std::string(name));
    auto it = system_.find(std::string(name));
    if (it == system_.end()) return absl::NotFoundError(std::string(name));
    return it->second;
  }

  absl::Status ReadKpagecount(uint64_t first, std::span<uint64_t> out) override {
    return ReadK(kpagecount_, first, out, 0, "kpagecount");
  }
  absl::Status ReadKpageflags(uint64_t first, std::span<uint64_t> out) override {
    return ReadK(kpageflags_, first, out, uint64_t{1} << scan::kKpfNoPage,
                 "kpageflags");
  }
  std::string Describe() const override { return "fake"; }
  uint64_t PageSize() const override { return page_size_; }

  // The categories the kernel gives a pagemap entry's page in PAGEMAP_SCAN
  // (fs/proc/task_mmu.c pagemap_page_category), with the values of
  // include/uapi/linux/fs.h written out here, not taken from memstats:
  // PRESENT 1<<3, SWAPPED 1<<4, FILE 1<<2 (present, not anonymous),
  // WRITTEN 1<<1 (unless write-protected by userfaultfd: the entry's bit
  // 57), SOFT_DIRTY 1<<7 (bit 55).
  static uint64_t KernelScanCategories(uint64_t e) {
    uint64_t c = 0;
    const bool present = (e >> 63) & 1, swapped = (e >> 62) & 1;
    if (!present && !swapped) return 0;
    c |= present ? uint64_t{1} << 3 : uint64_t{1} << 4;
    if (present && ((e >> 61) & 1)) c |= uint64_t{1} << 2;
    if (!((e >> 57) & 1)) c |= uint64_t{1} << 1;
    if ((e >> 55) & 1) c |= uint64_t{1} << 7;
    return c;
  }

 private:
  class Handle : public scan::ProcHandle {
   public:
    Handle(FakeProcSource* src, int pid, Process* p)
        : src_(src), pid_(pid), p_(p) {}
    int pid() const override { return pid_; }
    absl::StatusOr<std::string> ReadFile(std::string_view name) override {
      std::string n(name);
      if (absl::Status s = Touch(n); !s.ok()) return s;
      if (p_->change_after_reads >= 0 && reads_ > p_->change_after_reads) {
        auto changed = p_->changed_files.find(n);
        if (changed != p_->changed_files.end()) return changed->second;
      }
      auto it = p_->files.find(n);
      if (it == p_->files.end()) return absl::NotFoundError(n);
      return it->second;
    }
    absl::StatusOr<std::string> ReadLink(std::string_view name) override {
      if (absl::Status s = Touch(std::string(name)); !s.ok()) return s;
      if (name.starts_with("fd/")) {
        int fd = std::stoi(std::string(name.substr(3)));
        auto it = p_->fds.find(fd);
        if (it == p_->fds.end()) return absl::NotFoundError(std::string(name));
        return it->second;
      }
      if (p_->exe.empty()) return absl::NotFoundError("exe");
      return p_->exe;
    }
    // Records "PID/fd".
    absl::StatusOr<std::vector<int>> ListFds() override {
      if (absl::Status s = Touch("fd"); !s.ok()) return s;
      std::vector<int> fds;
      for (const auto& [fd, link] : p_->fds) fds.push_back(fd);
      return fds;
    }
    // Records "PID/task"; file_errno["task"] makes the list fail.
    absl::StatusOr<std::vector<int>> ListTasks() override {
      if (absl::Status s = Touch("task"); !s.ok()) return s;
      if (p_->tasks.empty()) return std::vector<int>{pid_};
      return p_->tasks;
    }
    // PAGEMAP_SCAN with memstats's category mask (scan::kScanPresentCategories)
    // matched against the kernel's categories, as the ioctl matches them,
    // ranges cut where the returned categories change.
    absl::Status ScanPresent(uint64_t start, uint64_t end,
                             std::vector<Range>& ranges) override {
      if (!src_->pagemap_scan_) return ProcHandle::ScanPresent(start, end, ranges);
      if (absl::Status s = Touch("pagemap_scan"); !s.ok()) return s;
      const uint64_t page = src_->page_size_;
      for (auto it = p_->pagemap.lower_bound(start / page);
           it != p_->pagemap.end() && it->first < end / page; ++it) {
        const uint64_t c =
            KernelScanCategories(it->second) & scan::kScanPresentCategories;
        if (c == 0) continue;
        const uint64_t a = it->first * page;
        if (!ranges.empty() && ranges.back().end == a &&
            ranges.back().categories == c) {
          ranges.back().end += page;
        } else {
          ranges.push_back({a, a + page, src_->scan_categories_ ? c : 0});
        }
      }
      return absl::OkStatus();
    }
    // Records "PID/map_files/START-END" (hex).
    absl::StatusOr<scan::ShmemUsage> MappedShmemUsage(
        uint64_t start, uint64_t end, const scan::ShmemKey& key) override {
      if (absl::Status s = Touch(absl::StrFormat("map_files/%x-%x", start, end));
          !s.ok()) {
        return s;
      }
      auto it = p_->shmem.find({start, end});
      if (it == p_->shmem.end()) return absl::NotFoundError("no mapping");
      return it->second;
    }
    absl::Status ReadPagemap(uint64_t vpn, std::span<uint64_t> out) override {
      if (absl::Status s = Touch("pagemap"); !s.ok()) return s;
      p_->pagemap_entries_read += out.size();
      for (size_t i = 0; i < out.size(); ++i) {
        auto it = p_->pagemap.find(vpn + i);
        out[i] = it == p_->pagemap.end() ? 0 : it->second;
      }
      return absl::OkStatus();
    }

   private:
    absl::Status Touch(const std::string& name) {
      src_->Record(absl::StrCat(pid_, "/", name));
      const int n = reads_++;
      if (p_->vanish_after_reads >= 0 && n >= p_->vanish_after_reads) {
        return absl::NotFoundError(absl::StrCat(pid_, " vanished"));
      }
      auto e = p_->file_errno.find(name);
      if (e != p_->file_errno.end()) {
        return scan::ErrnoToStatus(e->second, name);
      }
      return absl::OkStatus();
    }
    FakeProcSource* src_;
    int pid_;
    Process* p_;
    int reads_ = 0;
  };

  void Record(std::string what) {
    std::lock_guard<std::mutex> l(mu_);
    reads_.push_back(std::move(what));
  }

  absl::Status ReadK(const std::map<uint64_t, uint64_t>& m, uint64_t first,
                     std::span<uint64_t> out, uint64_t fill,
                     const char* name) {
    Record(absl::StrCat(name, "@", first));
    if (kpage_errno_ != 0) return scan::ErrnoToStatus(kpage_errno_, name);
    for (size_t i = 0; i < out.size(); ++i) {
      auto it = m.find(first + i);
      out[i] = it == m.end() ? fill : it->second;
    }
    return absl::OkStatus();
  }

  std::map<int, Process> procs_;
  std::map<std::string, std::string> system_;
  std::map<uint64_t, uint64_t> kpageflags_, kpagecount_;
  int kpage_errno_ = 0;
  bool no_ksm_pages_ = false;
  uint64_t page_size_ = 4096;
  bool pagemap_scan_ = false;
  bool scan_categories_ = true;
  mutable std::mutex mu_;
  std::vector<std::string> reads_;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_FAKE_PROC_SOURCE_H_
