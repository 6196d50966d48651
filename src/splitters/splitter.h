// Splitters map each process to one group key. Every splitter the user asks
// for is applied to the records of the same scan.
#ifndef MEMSTATS_SPLITTERS_SPLITTER_H_
#define MEMSTATS_SPLITTERS_SPLITTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "filters/filter.h"
#include "scan/process_record.h"
#include "scan/scanner.h"
#include "sets/report.h"

namespace memstats::splitters {

inline constexpr char kOther[] = "Other";
inline constexpr char kUnset[] = "(unset)";

class Splitter {
 public:
  virtual ~Splitter() = default;
  // Name in reports: "uid", "user", "env:HOME", "comm", "exe", "cgroup",
  // "pids", "custom", "single".
  virtual std::string name() const = 0;
  virtual std::string KeyOf(const scan::ProcessIdentity& p,
                            const scan::ParentMap& parents) const = 0;
  // Environment variables the scanner must read for KeyOf.
  virtual absl::flat_hash_set<std::string> EnvKeys() const { return {}; }
  // The identity files KeyOf looks at (scan::IdentityFile bits; all of
  // them unless a splitter says less).
  virtual uint8_t IdentityFiles() const { return scan::kIdAll; }
  // Keys that come first in reports' group order when RSS ties (custom
  // filters keep their order); empty means none.
  virtual std::vector<std::string> DeclaredKeys() const { return {}; }
};

// uid -> user name; nullopt when the uid has no passwd entry.
using UidNamer = std::function<std::optional<std::string>(uint32_t)>;
UidNamer SystemUidNamer();
// The user names of the machine `source` describes (a capture answers from
// its own table). `source` must outlive the namer.
UidNamer SourceUidNamer(const scan::ProcSource& source);

std::unique_ptr<Splitter> NewSingleSplitter();  // every process: "all"
std::unique_ptr<Splitter> NewUidSplitter();
std::unique_ptr<Splitter> NewUserSplitter(UidNamer namer);
std::unique_ptr<Splitter> NewEnvSplitter(std::string key);
std::unique_ptr<Splitter> NewCommSplitter();
std::unique_ptr<Splitter> NewExeSplitter();
std::unique_ptr<Splitter> NewCgroupSplitter();
// Each listed pid its own group (key: the pid), the rest "Other".
std::unique_ptr<Splitter> NewPidsSplitter(std::vector<int> pids);
// Filters evaluated in order, first match wins (key: the filter's text),
// the rest "Other".
std::unique_ptr<Splitter> NewCustomSplitter(std::vector<filters::Filter> fs);

// memstats top's keys (src/splitters/top_keys.cc).
// TopExeKey: the basename of the executable's name (scan/exe_name.h:
// "nginx"; "nginx (deleted)" for a deleted binary, "binary_backend (memfd)"
// for one run from a memfd; comm when the exe link is unreadable). For a
// script interpreter (python, perl, ruby, node, java, bash, sh, ... with any
// version suffix) whose first argument is a path (not an option; holds a
// '/' or a '.'), "interpreter->script" with the basenames of argv[0] and
// that argument: "python3->backup.py" ("python3->backup.py (deleted)" when
// the interpreter's binary was deleted).
std::string TopExeKey(const scan::ProcessIdentity& p);
// TopExeKey in parts: program + ("->" + script when there is one) + mark.
struct TopExeKeyParts {
  std::string program;  // "nginx", "python3"
  std::string script;   // "backup.py", or ""
  std::string mark;     // "", " (deleted)" or " (memfd)"
};
TopExeKeyParts TopExeKeyOf(const scan::ProcessIdentity& p);
// "exe" groups by TopExeKey (not the full path, unlike NewExeSplitter).
std::unique_ptr<Splitter> NewTopExeSplitter();
// "cmd": the command line, arguments joined by spaces, cut to `max_chars`
// characters, UTF-8 aware (0: no limit); "[comm]" when the command line is empty.
std::unique_ptr<Splitter> NewCmdlineSplitter(size_t max_chars);
// "pid": each process its own group, keyed by its pid.
std::unique_ptr<Splitter> NewPidSplitter();

// Applies a splitter to a scan's records.
sets::Grouping Split(const Splitter& s, const std::vector<scan::ProcessRecord>& recs,
               const scan::ParentMap& parents);

}  // namespace memstats::splitters

#endif  // MEMSTATS_SPLITTERS_SPLITTER_H_
