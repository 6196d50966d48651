#include "exec/run_cgroup.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memstats::exec {

namespace {

// Distinguishes the runs of one memstats process (tests make many).
std::atomic<int> g_run_counter{0};

// A process may fork while Remove moves the others out; after this many
// rounds the cgroup is left and reported.
constexpr int kRemoveAttempts = 5;

const char* PeakFile(CgroupVersion v) {
  return v == CgroupVersion::kV2 ? "memory.peak" : "memory.max_usage_in_bytes";
}

}  // namespace

absl::StatusOr<CgroupSetup> LiveCgroupSetup(scan::ProcSource& proc) {
  CgroupSetup setup;
  absl::StatusOr<std::string> mountinfo = proc.ReadSystemFile("self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  absl::StatusOr<std::string> cgroup = proc.ReadSystemFile("self/cgroup");
  if (!cgroup.ok()) return cgroup.status();
  setup.mountinfo = std::move(*mountinfo);
  setup.proc_cgroup = std::move(*cgroup);
  setup.is_root = geteuid() == 0;
  setup.pid = getpid();
  return setup;
}

void RunCgroup::SetNone(absl::string_view why) {
  version_ = CgroupVersion::kNone;
  source_ = absl::StrCat("no cgroup: ", why);
}

std::unique_ptr<RunCgroup> RunCgroup::Create(const CgroupSetup& setup,
                                             std::unique_ptr<CgroupFs> fs) {
  std::unique_ptr<RunCgroup> cg(new RunCgroup());
  cg->fs_ = std::move(fs);
  if (!setup.is_root) {
    cg->SetNone("not root");
    return cg;
  }
  absl::StatusOr<std::vector<MountInfoEntry>> mounts = ParseMountInfo(setup.mountinfo);
  absl::StatusOr<std::vector<ProcCgroupEntry>> cgroups = ParseProcCgroup(setup.proc_cgroup);
  if (!mounts.ok() || !cgroups.ok()) {
    cg->SetNone((mounts.ok() ? cgroups.status() : mounts.status()).message());
    return cg;
  }
  const MemoryCgroupLocation loc = LocateMemoryCgroup(*mounts, *cgroups);
  if (loc.version == CgroupVersion::kNone) {
    cg->SetNone(loc.why_none);
    return cg;
  }
  absl::StatusOr<UniqueFd> parent = cg->fs_->OpenDir(loc.dir);
  if (!parent.ok()) {
    cg->SetNone(parent.status().message());
    return cg;
  }
  if (loc.version == CgroupVersion::kV2) {
    // A child cgroup has the memory controller only when the parent
    // enables it for its children. memstats does not enable it: in any
    // cgroup but the root, that fails while memstats itself is a member
    // ("no internal processes"), and it would change the host's setup.
    absl::StatusOr<std::string> control = cg->fs_->ReadFile(parent->get(), "cgroup.subtree_control");
    std::vector<absl::string_view> enabled;
    if (control.ok()) enabled = absl::StrSplit(*control, absl::ByAnyChar(" \n"), absl::SkipEmpty());
    if (std::find(enabled.begin(), enabled.end(), "memory") == enabled.end()) {
      cg->SetNone(absl::StrCat("no memory controller (not in ", loc.dir, "/cgroup.subtree_control)"));
      return cg;
    }
  }

  // mkdirat under the parent's fd: no path is resolved again, and an
  // existing name (another run's, or anything planted) is never reused.
  std::string name;
  absl::Status made;
  for (int tries = 0; tries < 100; ++tries) {
    name = absl::StrCat("memstats-run-", setup.pid, "-", g_run_counter.fetch_add(1));
    made = cg->fs_->MakeDir(parent->get(), name);
    if (!absl::IsAlreadyExists(made)) break;
  }
  const std::string path = absl::StrCat(loc.dir, loc.dir.ends_with('/') ? "" : "/", name);
  if (!made.ok()) {
    cg->SetNone(absl::StrCat("mkdir ", path, ": ", made.message()));
    return cg;
  }
  absl::StatusOr<UniqueFd> dir = cg->fs_->OpenDirAt(parent->get(), name);
  absl::StatusOr<UniqueFd> procs = absl::InternalError("not opened");
  absl::StatusOr<std::string> peak = absl::InternalError("not read");
  if (dir.ok()) {
    procs = cg->fs_->OpenForWrite(dir->get(), "cgroup.procs");
    peak = cg->fs_->ReadFile(dir->get(), PeakFile(loc.version));
  }
  if (!dir.ok() || !procs.ok() || !peak.ok()) {
    (void)cg->fs_->RemoveDir(parent->get(), name);
    if (dir.ok() && procs.ok() && loc.version == CgroupVersion::kV2) {
      cg->SetNone(absl::StrCat(path, " has no memory.peak (Linux before 5.19)"));
    } else {
      const absl::Status& why = !dir.ok() ? dir.status() : !procs.ok() ? procs.status() : peak.status();
      cg->SetNone(absl::StrCat(path, ": ", why.message()));
    }
    return cg;
  }
  cg->version_ = loc.version;
  cg->source_ = loc.version == CgroupVersion::kV2 ? "cgroup v2 memory.peak"
                                                   : "cgroup v1 memory.max_usage_in_bytes";
  cg->path_ = path;
  cg->name_ = name;
  cg->parent_fd_ = std::move(*parent);
  cg->dir_fd_ = std::move(*dir);
  cg->procs_fd_ = std::move(*procs);
  return cg;
}

RunCgroup::~RunCgroup() { (void)Remove(); }

void RunCgroup::Abandon(absl::string_view why) {
  if (!active()) return;
  (void)Remove();
  SetNone(why);
}

absl::StatusOr<std::vector<int>> RunCgroup::Pids() const {
  if (!active()) return absl::FailedPreconditionError("no cgroup");
  absl::StatusOr<std::string> text = fs_->ReadFile(dir_fd_.get(), "cgroup.procs");
  if (!text.ok()) return text.status();
  std::vector<int> pids;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (!absl::SimpleAtoi(line, &pid) || pid <= 0) {
      return absl::InternalError(absl::StrCat(path_, "/cgroup.procs: bad line \"", line, "\""));
    }
    pids.push_back(pid);
  }
  // The kernel does not promise an order, and v1 may list a pid twice.
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

absl::StatusOr<uint64_t> RunCgroup::ReadNumber(const char* v1_name, const char* v2_name) const {
  if (!active()) return absl::FailedPreconditionError("no cgroup");
  const std::string name = version_ == CgroupVersion::kV2 ? v2_name : v1_name;
  absl::StatusOr<std::string> text = fs_->ReadFile(dir_fd_.get(), name);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return absl::InternalError(absl::StrCat(path_, "/", name, ": not a number: \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<uint64_t> RunCgroup::PeakBytes() const {
  return ReadNumber("memory.max_usage_in_bytes", "memory.peak");
}

absl::StatusOr<uint64_t> RunCgroup::CurrentBytes() const {
  return ReadNumber("memory.usage_in_bytes", "memory.current");
}

absl::StatusOr<int> RunCgroup::Remove() {
  if (!active()) return 0;
  procs_fd_.Reset();
  int moved = 0;
  absl::Status removed;
  for (int attempt = 0; attempt < kRemoveAttempts; ++attempt) {
    absl::StatusOr<std::string> text = fs_->ReadFile(dir_fd_.get(), "cgroup.procs");
    if (text.ok()) {
      for (absl::string_view pid : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
        // NotFound: it exited meanwhile, nothing to move.
        absl::Status st = fs_->WriteFile(parent_fd_.get(), "cgroup.procs", std::string_view(pid.data(), pid.size()));
        if (st.ok()) ++moved;
      }
    }
    removed = fs_->RemoveDir(parent_fd_.get(), name_);
    if (!absl::IsFailedPrecondition(removed)) break;  // not EBUSY: done, or hopeless
  }
  dir_fd_.Reset();
  parent_fd_.Reset();
  if (!removed.ok()) {
    return absl::Status(removed.code(),
                        absl::StrCat("the cgroup ", path_, " was left behind: ", removed.message()));
  }
  return moved;
}

}  // namespace memstats::exec
