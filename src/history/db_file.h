// The checks on a database path that come before SQLite sees the file.
// memstats runs as root and the path is the user's: it must not write
// through a symbolic link, into a device or someone else's file, or into
// a file that is not already one of its databases. Each step works on
// file descriptors opened with O_NOFOLLOW relative to the directory, so
// what is checked is what is opened; SQLite then opens the path by name
// (it has no API to take a descriptor), with SQLITE_OPEN_NOFOLLOW, and
// SameFile() checks afterwards that the name still leads to the checked
// file.
#ifndef MEMSTATS_HISTORY_DB_FILE_H_
#define MEMSTATS_HISTORY_DB_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memstats::history {

// InvalidArgumentError "database 'PATH': WHAT", the form of every error
// about a database path.
absl::Status PathError(const std::string& path, absl::string_view what);

// A file descriptor that closes itself.
class FileDesc {
 public:
  FileDesc() = default;
  explicit FileDesc(int fd) : fd_(fd) {}
  ~FileDesc();
  FileDesc(FileDesc&& other) noexcept;
  FileDesc& operator=(FileDesc&& other) noexcept;
  FileDesc(const FileDesc&) = delete;
  FileDesc& operator=(const FileDesc&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

struct DbFile {
  std::string path;
  std::string dir;   // "." for a bare file name
  std::string base;  // the final component
  FileDesc dir_fd;
  FileDesc fd;  // the file itself, read-only
  dev_t dev = 0;
  ino_t ino = 0;
  // No content yet: this call created the file (mode 0600), or found an
  // empty file of the effective user with mode 0600, which is what an
  // interrupted Create leaves (and what mktemp makes).
  bool is_new = false;
  bool created = false;  // by this call
};

// Opens `path` for a store. With `create`, an absent file is created with
// mode 0600 (O_EXCL: never one that appeared meanwhile). Refuses, with
// PathError: an empty path, a missing directory, a symbolic link, anything
// but a regular file, a file that is not SQLite (by its 16-byte header),
// an empty file that is not new in the sense above, and an absent file
// without `create`. Reads at most the header; writes nothing.
absl::StatusOr<DbFile> OpenDbFile(const std::string& path, bool create);

// OK when `path` still names the file `f` opened (same device and inode,
// not a symbolic link). Call after SQLite has opened the path.
absl::Status SameFile(const DbFile& f);

// Whether the directory of `f` holds a file named after it with `suffix`
// ("-wal"), without following a link.
bool SiblingExists(const DbFile& f, absl::string_view suffix);

// Removes the file OpenDbFile created (`created`), if the name still leads
// to it and it is still empty: a Create that failed leaves nothing behind.
void RemoveIfNew(const DbFile& f);

}  // namespace memstats::history

#endif  // MEMSTATS_HISTORY_DB_FILE_H_
