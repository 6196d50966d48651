// The tree a parsed Filter holds, and the table of the language's functions
// that the parser and Node::AppendTo() share. Private to src/filters.
#ifndef MEMSTATS_FILTERS_NODE_H_
#define MEMSTATS_FILTERS_NODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "filters/filter.h"
#include "scan/process_record.h"

namespace memstats::filters {

// One call of the language. The parser checks every argument, so evaluation
// cannot fail; a tree is immutable once built and copies of a Filter share
// it, so Matches() may run on many threads at once.
class Node {
 public:
  enum class Kind {
    kAnd,
    kOr,
    kNot,
    kTrue,
    kFalse,
    kUid,
    kUser,
    kPid,
    kPpid,
    kComm,
    kExe,
    kDescendants,
    kEnvK,
    kEnvKv,
    kCmdline,
    kCgroup,
  };

  bool Matches(const scan::ProcessIdentity& p, const ParentMap& parents) const;
  void CollectEnvKeys(absl::flat_hash_set<std::string>* keys) const;
  uint8_t IdentityFiles() const;  // see Filter::IdentityFiles
  // Appends the canonical text, e.g. and(uid(0),comm("a b")).
  void AppendTo(std::string* out) const;

  Kind kind = Kind::kTrue;
  std::vector<Node> children;     // and, or, not
  int64_t number = 0;             // uid, user (the resolved uid), pids
  std::vector<std::string> args;  // text arguments; user keeps its name
  std::shared_ptr<const std::regex> regex;  // cmdline, see CompileCmdlineRegex
};

enum class ArgType { kNone, kFilter, kUid, kPid, kText };

struct FunctionInfo {
  std::string_view name;
  Node::Kind kind;
  ArgType arg_type;
  int min_args;
  int max_args;                   // -1: no limit
  std::string_view arg_expected;  // for "expected ..." at a bad argument
};

// nullptr when `name` is not a function of the language.
const FunctionInfo* FindFunction(std::string_view name);

// "one of: and, or, ..., cgroup", for error messages.
std::string FunctionList();

// `s` in double quotes, '"' and backslash escaped, as the lexer reads it.
std::string Quote(std::string_view s);

// Why std::regex must not be given `pattern`, or nullopt. libstdc++ reads
// the numbers of "\N" back-references and "{m,n}" repetitions into a long
// without checking for overflow, and copies the automaton once per
// repetition: numbers of more than 4 digits, a count above 1000, or counts
// that multiply to more than 10000 are refused.
std::optional<std::string> RegexLimitError(std::string_view pattern);

// Compiles the pattern of cmdline(PATTERN) into what Node::regex holds.
// Throws std::regex_error if the pattern is invalid (error_complexity when
// RegexLimitError refuses it).
std::shared_ptr<const std::regex> CompileCmdlineRegex(
    const std::string& pattern);

}  // namespace memstats::filters

#endif  // MEMSTATS_FILTERS_NODE_H_
