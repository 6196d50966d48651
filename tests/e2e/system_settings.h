// System settings that the sysmem live tests change (ksmd, the huge page
// pool, a swap file), each held by an object that restores the system in
// its destructor, so that a failed ASSERT restores it too.
//
// A crash (SIGKILL, power loss) skips destructors. So before it changes a
// setting, SystemSetting writes how to restore it to a file in
// kSavedSettingsDir, and removes that file once restored; a SwapFile lives at
// one fixed path. RestoreLeftovers() undoes what an earlier run left behind:
// call it at the start of every test, under the live tests' lock.
#ifndef MEMSTATS_TESTS_E2E_SYSTEM_SETTINGS_H_
#define MEMSTATS_TESTS_E2E_SYSTEM_SETTINGS_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace memstats::testing {

inline constexpr const char* kSavedSettingsDir =
    "/var/tmp/memstats_sysmem_saved";
// On / (ext4 here): a file system that supports swap files.
inline constexpr const char* kSwapPath = "/var/tmp/memstats_sysmem_test.swap";

// The first line of `path` without its newline; "" when unreadable.
inline std::string ReadFirstLineOf(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Writes `value` to a sysfs or procfs file in one write(2). Returns "" or an
// error message.
inline std::string WriteSetting(const std::string& path,
                                const std::string& value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path + ": " + std::strerror(errno);
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size()))
    return "write '" + value + "' to " + path + ": " + std::strerror(e);
  return "";
}

// Whether `path` is an active swap area (in /proc/swaps).
inline bool SwapActive(const std::string& path) {
  std::ifstream swaps("/proc/swaps");
  std::string line;
  std::getline(swaps, line);  // header
  while (std::getline(swaps, line))
    if (line.rfind(path + " ", 0) == 0 || line.rfind(path + "\t", 0) == 0)
      return true;
  return false;
}

// Saved-settings file format: the target path on the first line, then the
// values to write to it, in order, one per line.
inline std::string RestoreSavedSetting(const std::filesystem::path& saved) {
  std::ifstream in(saved);
  std::string target, value, error;
  std::getline(in, target);
  while (std::getline(in, value)) {
    std::string e = WriteSetting(target, value);
    if (!e.empty()) error += e + "\n";
  }
  if (error.empty()) {
    std::error_code ec;
    std::filesystem::remove(saved, ec);
    std::filesystem::remove(kSavedSettingsDir, ec);  // only when empty
  }
  return error;
}

// Swaps off and removes our swap file if it is there. Returns "" or what
// failed.
inline std::string RemoveSwapFile() {
  std::string error;
  if (SwapActive(kSwapPath) && ::swapoff(kSwapPath) != 0)
    error = std::string("swapoff ") + kSwapPath + ": " + std::strerror(errno);
  std::error_code ec;
  std::filesystem::remove(kSwapPath, ec);
  return error;
}

// Undoes what a crashed earlier run left: saved settings are written back,
// our swap file is swapped off and removed. Returns "" or what failed.
inline std::string RestoreLeftovers() {
  std::string error;
  std::error_code ec;
  if (std::filesystem::is_directory(kSavedSettingsDir, ec)) {
    for (const auto& e :
         std::filesystem::directory_iterator(kSavedSettingsDir, ec))
      error += RestoreSavedSetting(e.path());
  }
  return error + RemoveSwapFile();
}

// Sets one sysfs/procfs value for the object's lifetime. The destructor
// writes `restore_first` (values that must come before the old one, e.g.
// ksm's run=2 to unmerge before run=0), then the old value.
class SystemSetting {
 public:
  SystemSetting(std::string path, const std::string& value,
                std::vector<std::string> restore_first = {})
      : path_(std::move(path)) {
    old_ = ReadFirstLineOf(path_);
    if (old_.empty()) {
      error_ = "cannot read " + path_;
      return;
    }
    restore_ = std::move(restore_first);
    restore_.push_back(old_);
    std::filesystem::create_directories(kSavedSettingsDir);
    std::string name = path_;
    for (char& c : name)
      if (c == '/') c = '_';
    saved_ = std::string(kSavedSettingsDir) + "/" + name;
    {
      std::ofstream out(saved_, std::ios::trunc);
      out << path_ << "\n";
      for (const std::string& v : restore_) out << v << "\n";
      if (!out.flush()) {
        error_ = "cannot write " + saved_;
        return;
      }
    }
    error_ = WriteSetting(path_, value);
    active_ = true;  // restore even after a failed write: it may be partial
  }
  ~SystemSetting() { Restore(); }
  SystemSetting(const SystemSetting&) = delete;
  SystemSetting& operator=(const SystemSetting&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& old_value() const { return old_; }

  // Writes the old value back (once). Returns "" or what failed; the saved
  // file stays when it failed, for the next run to retry.
  std::string Restore() {
    if (!active_) return "";
    active_ = false;
    return RestoreSavedSetting(saved_);
  }

 private:
  std::string path_, old_, saved_, error_;
  std::vector<std::string> restore_;
  bool active_ = false;
};

// A swap file at kSwapPath for the object's lifetime: `mib` MiB of written
// zeros (not fallocate: swapon refuses files with holes or unwritten
// extents on some file systems), mkswap, swapon. The destructor swaps off
// (bringing back what is still swapped: stop the processes first) and
// removes the file.
class SwapFile {
 public:
  enum class State { kOn, kUnsupported, kFailed };

  explicit SwapFile(int mib) {
    error_ = RemoveSwapFile();  // a leftover of a crashed run
    if (!error_.empty()) return;
    created_ = true;
    const int fd =
        ::open(kSwapPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      error_ = std::string("create ") + kSwapPath + ": " + std::strerror(errno);
      return;
    }
    std::vector<char> zeros(1 << 20, 0);
    bool written = true;
    for (int i = 0; i < mib && written; ++i)
      written = ::write(fd, zeros.data(), zeros.size()) ==
                static_cast<ssize_t>(zeros.size());
    written = written && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
      error_ = std::string("write ") + kSwapPath + ": " + std::strerror(errno);
      return;
    }
    RunResult mk = RunCommand({"/sbin/mkswap", kSwapPath});
    if (mk.exit_code != 0) {
      error_ = "mkswap: " + mk.Describe();
      return;
    }
    if (::swapon(kSwapPath, 0) != 0) {
      const int e = errno;
      error_ = std::string("swapon ") + kSwapPath + ": " + std::strerror(e);
      // EINVAL: the file system cannot hold swap (e.g. tmpfs, overlayfs
      // before 6.x); EPERM without CAP_SYS_ADMIN; ENOSYS without CONFIG_SWAP.
      state_ =
          (e == EINVAL || e == ENOSYS) ? State::kUnsupported : State::kFailed;
      return;
    }
    state_ = State::kOn;
  }
  ~SwapFile() { Remove(); }
  SwapFile(const SwapFile&) = delete;
  SwapFile& operator=(const SwapFile&) = delete;

  State state() const { return state_; }
  const std::string& error() const { return error_; }

  // Swaps off and removes the file (once). Returns "" or what failed.
  std::string Remove() {
    if (!created_) return "";
    created_ = false;
    return RemoveSwapFile();
  }

 private:
  State state_ = State::kFailed;
  std::string error_;
  bool created_ = false;
};

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_SYSTEM_SETTINGS_H_
