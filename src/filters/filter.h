// The filter language: a small expression over process identity.
//
//   expr     := call
//   call     := NAME '(' [ arg { ',' arg } ] ')'
//   arg      := call | NUMBER | WORD | "quoted string"
//
// Functions: and(e, ...), or(e, ...), not(e), true(), false(), uid(N),
// user(NAME), pid(N), ppid(N), comm(NAME), exe(NAME), descendants(PID),
// env_k(KEY), env_kv(KEY, VALUE), cmdline(REGEX), cgroup(PREFIX).
// White space may surround any token. A quoted string may hold commas,
// parentheses and spaces; \" and \\ escape inside it.
//
// Parse errors carry the 0-based column where parsing failed and what was
// expected there; FormatFilterError() renders them with a caret.
#ifndef MEMSTATS_FILTERS_FILTER_H_
#define MEMSTATS_FILTERS_FILTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "scan/process_record.h"

namespace memstats::scan {
class ProcSource;
}  // namespace memstats::scan

namespace memstats::filters {

// Resolves a user name to a uid (getpwnam in production, a table in tests).
using UserResolver = std::function<std::optional<uint32_t>(std::string_view)>;
UserResolver SystemUserResolver();
// The user names of the machine `source` describes (a capture answers from
// its own table). `source` must outlive the resolver.
UserResolver SourceUserResolver(const scan::ProcSource& source);

// pid -> ppid of every process seen, for descendants().
using ParentMap = absl::flat_hash_map<int, int>;

struct FilterError {
  size_t column = 0;      // 0-based byte offset into the expression
  std::string message;    // "unknown function 'foo'"
  std::string expected;   // "one of: and, or, ..." (may be empty)
};

// Renders: "invalid filter: <message>\n  <text>\n  <spaces>^\n  expected <expected>\n"
std::string FormatFilterError(std::string_view text, const FilterError& err);

class Node;  // opaque AST node, defined in node.h

class Filter {
 public:
  Filter();  // true()
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  Filter(const Filter&);
  Filter& operator=(const Filter&);

  // True when the process matches. `parents` is consulted by descendants();
  // a process is its own descendant (descendants(1234) includes 1234).
  bool Matches(const scan::ProcessIdentity& p, const ParentMap& parents) const;

  // Environment variables the expression reads (env_k, env_kv), so the
  // scanner reads only those from /proc/PID/environ.
  absl::flat_hash_set<std::string> EnvKeys() const;

  // The identity files (scan::IdentityFile bits) the expression looks at:
  // cmdline(), exe() (the exe link, and the command line for a script's
  // name) and cgroup(). The scanner reads only those.
  uint8_t IdentityFiles() const;

  // Canonical text, e.g. "and(uid(0),not(comm(bash)))"; Parse(ToString())
  // gives an equal filter. Used as a group name by --split-custom.
  std::string ToString() const;

  // The source text it was parsed from (trimmed).
  const std::string& text() const { return text_; }

 private:
  friend class Parser;
  std::shared_ptr<const Node> root_;
  std::string text_;
};

// Parses one expression; the whole input must be consumed.
std::variant<Filter, FilterError> ParseFilter(std::string_view text,
                                              const UserResolver& users);

// Parses "F1,F2,..." (top-level commas separate filters), for
// --split-custom. Column numbers refer to the whole text.
std::variant<std::vector<Filter>, FilterError> ParseFilterList(
    std::string_view text, const UserResolver& users);

}  // namespace memstats::filters

#endif  // MEMSTATS_FILTERS_FILTER_H_
