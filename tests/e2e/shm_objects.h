// Shared memory objects made by live tests (shm_e2e_test.cc,
// shm_swap_e2e_test.cc, freed_e2e_test.cc): SysV segments, /dev/shm files
// and child processes that map them, all removed when the test ends, also
// after a failed assertion; and the kernel's own figures to check memstats
// against (/proc/sysvipc/shm, st_blocks, smaps).
#ifndef MEMSTATS_TESTS_E2E_SHM_OBJECTS_H_
#define MEMSTATS_TESTS_E2E_SHM_OBJECTS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace memstats::testing {

inline constexpr size_t kPage = 4096;
inline constexpr uid_t kNobody = 65534;

// Owns what the test made; the destructor removes it all, also when an
// assertion failed half way.
class ShmObjects {
 public:
  ~ShmObjects() {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    for (int id : shmids_) ::shmctl(id, IPC_RMID, nullptr);
    for (const std::string& f : files_) ::unlink(f.c_str());
  }
  // `flags`: SHM_HUGETLB for a segment of huge pages.
  int NewSegment(size_t bytes, int flags = 0) {
    int id = ::shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0666 | flags);
    if (id >= 0) shmids_.push_back(id);
    return id;
  }
  std::string NewShmFile(const std::string& name, size_t bytes) {
    std::string path = absl::StrCat("/dev/shm/memstats_shm_e2e_", ::getpid(),
                                    "_", name);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
                                      O_CLOEXEC, 0644);
    if (fd < 0) return "";
    files_.push_back(path);
    std::string data(bytes, 'x');
    bool ok = ::write(fd, data.data(), bytes) == static_cast<ssize_t>(bytes);
    ::close(fd);
    return ok ? path : "";
  }
  // Forks a child that runs `work` as `uid`, says it is ready, and waits
  // until this process closes the pipe (or dies). Returns its pid, or -1.
  pid_t Child(uid_t uid, const std::function<bool()>& work) {
    int ready[2], stop[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
    if (::pipe2(stop, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      ::close(stop[1]);
      for (int fd : stop_fds_) ::close(fd);
      if (uid != 0 && ::setresuid(uid, uid, uid) != 0) ::_exit(2);
      if (!work()) ::_exit(3);
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(4);
      while (::read(stop[0], &c, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(stop[0]);
    if (pid < 0) return -1;
    children_.push_back(pid);
    stop_fds_.push_back(stop[1]);
    char c = 0;
    bool ok = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    return ok ? pid : -1;
  }

 private:
  std::vector<pid_t> children_;
  std::vector<int> stop_fds_;
  std::vector<int> shmids_;
  std::vector<std::string> files_;
};

// Writes one byte into each page [first, last) of the mapping at `base`.
inline void Touch(char* base, size_t first, size_t last) {
  for (size_t p = first; p < last; ++p) base[p * kPage] = 1;
}

// The kernel's own line for a segment in /proc/sysvipc/shm, by column name.
inline std::map<std::string, uint64_t> SysvLine(int shmid) {
  std::ifstream in("/proc/sysvipc/shm");
  std::string header;
  std::getline(in, header);
  std::vector<std::string> names;
  std::istringstream hs(header);
  for (std::string n; hs >> n;) names.push_back(n);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::map<std::string, uint64_t> row;
    for (const std::string& n : names) {
      long long v = 0;
      ls >> v;
      row[n] = static_cast<uint64_t>(v);
    }
    if (static_cast<int>(row["shmid"]) == shmid) return row;
  }
  return {};
}

// The sum of one smaps field ("Swap", "Shared_Hugetlb") in bytes over the
// mappings of `pid` whose maps line ends with `path`.
inline uint64_t SmapsSum(pid_t pid, const std::string& path,
                         const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/smaps"));
  uint64_t sum = 0;
  bool in_mapping = false;
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    const bool header = colon == std::string::npos ||
                        line.find(' ') < colon;  // "start-end perms ..."
    if (header) {
      in_mapping = line.size() >= path.size() &&
                   line.compare(line.size() - path.size(), path.size(),
                                path) == 0;
    } else if (in_mapping && line.compare(0, colon, field) == 0) {
      sum += std::stoull(line.substr(colon + 1)) * 1024;
    }
  }
  return sum;
}

inline uint64_t AllocatedBytes(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

// The first element of a JSON array whose `key` is `value`, or null.
inline const nlohmann::json* FindBy(const nlohmann::json& array, const char* key,
                                   const nlohmann::json& value) {
  for (const nlohmann::json& e : array) {
    if (e.at(key) == value) return &e;
  }
  return nullptr;
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_SHM_OBJECTS_H_
