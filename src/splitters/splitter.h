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
  // Keys that come first in reports' group order when RSS ties (custom
  // filters keep their order); empty means none.
  virtual std::vector<std::string> DeclaredKeys() const { return {}; }
};

// uid -> user name; nullopt when the uid has no passwd entry.
using UidNamer = std::function<std::optional<std::string>(uint32_t)>;
UidNamer SystemUidNamer();

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

// Applies a splitter to a scan's records.
sets::Grouping Split(const Splitter& s, const std::vector<scan::ProcessRecord>& recs,
               const scan::ParentMap& parents);

}  // namespace memstats::splitters

#endif  // MEMSTATS_SPLITTERS_SPLITTER_H_
