// The name an operator recognizes for a process's executable, from the
// target of /proc/PID/exe and the command line. Every view that names
// executables (groups --split-exe, top -g exe and its EXE arguments, the
// exe() filter, snapshot's binary row) goes through here.
//
// The rule:
// - a normal path stays as it is: "/usr/sbin/nginx".
// - "/PATH (deleted)", a binary deleted (or replaced, as by a package
//   upgrade) since it started: the path is still what the operator knows,
//   so it stays, with the mark: name "/PATH", shown "/PATH (deleted)".
// - "/memfd:NAME (deleted)", the kernel's link for a program run from a
//   memfd (fexecve, container runtimes): the memfd's name means nothing to
//   an operator, so the name is the basename of argv[0] ("binary_backend"),
//   or NAME when argv[0] is empty; shown "binary_backend (memfd)".
// - an unreadable link (zombies, other users' processes without root):
//   empty name.
#ifndef MEMSTATS_SCAN_EXE_NAME_H_
#define MEMSTATS_SCAN_EXE_NAME_H_

#include <span>
#include <string>
#include <string_view>

namespace memstats::scan {

enum class ExeOrigin {
  kFile,     // a file that still exists (or an unreadable link)
  kDeleted,  // "/PATH (deleted)"
  kMemfd,    // "/memfd:NAME (deleted)"
};

struct ExeName {
  std::string name;  // "/usr/sbin/nginx", "/opt/app/bin" or "binary_backend"
  ExeOrigin origin = ExeOrigin::kFile;

  // " (deleted)", " (memfd)" or "".
  std::string_view Mark() const;
  // name + Mark(): "/opt/app/bin (deleted)", "binary_backend (memfd)".
  std::string Display() const;
  // The basename of name + Mark(): "bin (deleted)", "binary_backend (memfd)".
  std::string ShortDisplay() const;
  bool operator==(const ExeName&) const = default;
};

// `exe_link` is the target of /proc/PID/exe ("" when unreadable), `cmdline`
// the process's argv.
ExeName ParseExeName(std::string_view exe_link,
                     std::span<const std::string> cmdline);

// ParseExeName(exe_link, cmdline).Display().
std::string ExeDisplayName(std::string_view exe_link,
                           std::span<const std::string> cmdline);

// "/a/b" -> "b"; a name without '/' stays as it is.
std::string_view PathBasename(std::string_view path);

}  // namespace memstats::scan

#endif  // MEMSTATS_SCAN_EXE_NAME_H_
