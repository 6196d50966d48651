// The group keys of memstats top: executables with their scripts, command
// lines, pids.
#include <array>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scan/exe_name.h"
#include "splitters/splitter.h"

namespace memstats::splitters {
namespace {

using scan::PathBasename;

// Interpreters whose first non-option argument names the program that
// really runs. Matched on the basename without a version suffix
// ("python3.11" -> "python").
constexpr std::array<std::string_view, 16> kInterpreters = {
    "python", "perl", "ruby", "node", "nodejs", "java",  "bash",    "sh",
    "dash",   "zsh",  "ksh",  "php",  "lua",    "tclsh", "Rscript", "pypy"};

// "python3.11" -> "python", "perl5.36" -> "perl", "bash" -> "bash".
std::string_view WithoutVersion(std::string_view name) {
  while (!name.empty() && ((name.back() >= '0' && name.back() <= '9') ||
                           name.back() == '.' || name.back() == '-')) {
    name.remove_suffix(1);
  }
  return name;
}

bool IsInterpreter(std::string_view basename) {
  std::string_view family = WithoutVersion(basename);
  for (std::string_view i : kInterpreters) {
    if (family == i) return true;
  }
  return false;
}

class TopExeSplitter : public Splitter {
 public:
  std::string name() const override { return "exe"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return TopExeKey(p);
  }
  uint8_t IdentityFiles() const override {
    return scan::kIdExe | scan::kIdCmdline;
  }
};

class CmdlineSplitter : public Splitter {
 public:
  explicit CmdlineSplitter(size_t max_chars) : max_chars_(max_chars) {}
  std::string name() const override { return "cmd"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    std::string key = p.cmdline.empty() ? absl::StrCat("[", p.comm, "]")
                                        : absl::StrJoin(p.cmdline, " ");
    if (max_chars_ > 0) {
      // Characters, not bytes: count UTF-8 lead bytes and cut before the
      // one that would be character max_chars_ + 1.
      size_t chars = 0;
      for (size_t i = 0; i < key.size(); ++i) {
        if ((static_cast<unsigned char>(key[i]) & 0xc0) == 0x80) continue;
        if (++chars > max_chars_) {
          key.resize(i);
          break;
        }
      }
    }
    return key;
  }
  uint8_t IdentityFiles() const override { return scan::kIdCmdline; }

 private:
  size_t max_chars_;
};

class PidSplitter : public Splitter {
 public:
  std::string name() const override { return "pid"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return absl::StrCat(p.pid);
  }
  uint8_t IdentityFiles() const override { return 0; }
};

}  // namespace

TopExeKeyParts TopExeKeyOf(const scan::ProcessIdentity& p) {
  const scan::ExeName exe = scan::ParseExeName(p.exe, p.cmdline);
  TopExeKeyParts parts;
  parts.mark = std::string(exe.Mark());
  std::string_view name =
      exe.name.empty() ? std::string_view{p.comm} : PathBasename(exe.name);
  parts.program = std::string(name);
  if (!IsInterpreter(name) || p.cmdline.size() < 2) return parts;
  // The name the interpreter was started as ("python3" for the binary
  // python3.11) when it is of the same family.
  std::string_view argv0 = PathBasename(p.cmdline[0]);
  if (WithoutVersion(argv0) == WithoutVersion(name)) name = argv0;
  parts.program = std::string(name);
  // A script is named by a path ("/opt/app/backup.py", "bin/run") or a
  // file name with an extension ("manage.py"); an option ("-c") or a bare
  // word ("3", an argument to a builtin) is not one.
  // "java -jar app.jar" runs app.jar.
  size_t arg = 1;
  if (WithoutVersion(name) == "java" && p.cmdline[1] == "-jar" &&
      p.cmdline.size() > 2) {
    arg = 2;
  }
  const std::string& script = p.cmdline[arg];
  const bool path_like = script.find('/') != std::string::npos ||
                         script.find('.') != std::string::npos;
  // A script read from a file descriptor ("bash /dev/fd/3", process
  // substitution) has no name worth grouping by.
  const bool from_fd =
      script.starts_with("/dev/fd/") || script.starts_with("/proc/self/fd/");
  if (script.empty() || script[0] == '-' || !path_like || from_fd) {
    return parts;
  }
  parts.script = std::string(PathBasename(script));
  return parts;
}

std::string TopExeKey(const scan::ProcessIdentity& p) {
  TopExeKeyParts parts = TopExeKeyOf(p);
  return absl::StrCat(parts.program, parts.script.empty() ? "" : "->",
                      parts.script, parts.mark);
}

std::unique_ptr<Splitter> NewTopExeSplitter() {
  return std::make_unique<TopExeSplitter>();
}
std::unique_ptr<Splitter> NewCmdlineSplitter(size_t max_chars) {
  return std::make_unique<CmdlineSplitter>(max_chars);
}
std::unique_ptr<Splitter> NewPidSplitter() {
  return std::make_unique<PidSplitter>();
}

}  // namespace memstats::splitters
