// A file descriptor owned by one object: closed when it goes. The scan
// (proc_source.cc) and exec/ both hold their fds in it.
#ifndef MEMSTATS_SCAN_UNIQUE_FD_H_
#define MEMSTATS_SCAN_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace memstats::scan {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_UNIQUE_FD_H_
