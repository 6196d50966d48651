#include "filters/node.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "filters/lexer.h"
#include "scan/exe_name.h"

namespace memstats::filters {
namespace {

using Kind = Node::Kind;

constexpr FunctionInfo kFunctions[] = {
    {"and", Kind::kAnd, ArgType::kFilter, 1, -1, "a filter"},
    {"or", Kind::kOr, ArgType::kFilter, 1, -1, "a filter"},
    {"not", Kind::kNot, ArgType::kFilter, 1, 1, "a filter"},
    {"true", Kind::kTrue, ArgType::kNone, 0, 0, ""},
    {"false", Kind::kFalse, ArgType::kNone, 0, 0, ""},
    {"uid", Kind::kUid, ArgType::kUid, 1, 1, "a number"},
    {"user", Kind::kUser, ArgType::kText, 1, 1, "a user name"},
    {"pid", Kind::kPid, ArgType::kPid, 1, 1, "a number"},
    {"ppid", Kind::kPpid, ArgType::kPid, 1, 1, "a number"},
    {"comm", Kind::kComm, ArgType::kText, 1, 1, "a command name"},
    {"exe", Kind::kExe, ArgType::kText, 1, 1, "an executable path or name"},
    {"descendants", Kind::kDescendants, ArgType::kPid, 1, 1, "a number"},
    {"env_k", Kind::kEnvK, ArgType::kText, 1, 1, "a variable name"},
    {"env_kv", Kind::kEnvKv, ArgType::kText, 2, 2, "a variable name or value"},
    {"cmdline", Kind::kCmdline, ArgType::kText, 1, 1, "a regular expression"},
    {"cgroup", Kind::kCgroup, ArgType::kText, 1, 1, "a cgroup path"},
};

// cmdline() needs care with libstdc++'s std::regex. Its default executor
// recurses once per byte a repetition consumes, so ".*x" over a 10 KB
// command line (a Java classpath) overflows a 4 MB thread stack. Its
// __polynomial mode runs a Thompson NFA, whose recursion depends on the
// pattern only, and rejects back-references at compile time. But
// regex_search() restarts that NFA at every byte, which is quadratic
// (minutes for 100 KB), so the pattern P is compiled as [\s\S]*(?:P)[\s\S]*
// and run once with regex_match(): true exactly when P matches somewhere.
// ^, $ and \b still see the whole command line. P alone is compiled first,
// so that "a)(b" is an error rather than a valid wrapped pattern.
#if defined(__GLIBCXX__)
constexpr auto kRegexSyntax =
    std::regex::ECMAScript | std::regex_constants::__polynomial;
#else
constexpr auto kRegexSyntax = std::regex::ECMAScript;
#endif

const FunctionInfo& InfoFor(Kind kind) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.kind == kind) return f;
  }
  return kFunctions[0];  // unreachable: every Kind is in the table
}

// A value as the lexer would read it back: bare when it can be a word.
std::string ValueText(std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) bare = bare && !IsWordDelimiter(c);
  return bare ? std::string(s) : Quote(s);
}

// exe(NAME) matches the link target as the kernel gives it, its basename,
// and the name an operator recognizes (scan/exe_name.h) with or without its
// basename and mark: for a deleted /usr/sbin/nginx "/usr/sbin/nginx",
// "nginx", "/usr/sbin/nginx (deleted)" and "nginx (deleted)"; for sleep run
// from a memfd "sleep" and "sleep (memfd)".
bool MatchesExe(const scan::ProcessIdentity& p, std::string_view name) {
  if (p.exe.empty()) return false;  // unreadable link: matches nothing
  if (p.exe == name || scan::PathBasename(p.exe) == name) return true;
  const scan::ExeName exe = scan::ParseExeName(p.exe, p.cmdline);
  const std::string_view base = scan::PathBasename(exe.name);
  return exe.name == name || base == name || exe.Display() == name ||
         exe.ShortDisplay() == name;
}

bool MatchesCgroup(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  // cgroup(/a) takes /a and /a/b but not /ab; cgroup(/) takes everything.
  return path.size() == prefix.size() || prefix.ends_with('/') ||
         path[prefix.size()] == '/';
}

// Walks up from p through p.ppid, then through `parents`. Stops at a pid
// missing from the map, and after parents.size() steps, which no chain
// without a cycle needs.
bool IsDescendant(const scan::ProcessIdentity& p, int ancestor,
                  const ParentMap& parents) {
  if (p.pid == ancestor) return true;
  int current = p.ppid;
  for (size_t steps = 0; steps <= parents.size(); ++steps) {
    if (current == ancestor) return true;
    auto it = parents.find(current);
    if (it == parents.end()) return false;
    current = it->second;
  }
  return false;
}

bool SearchCmdline(const std::vector<std::string>& argv,
                   const std::regex& regex) {
  std::string joined;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) joined.push_back(' ');
    joined += argv[i];
  }
  try {
    return std::regex_match(joined, regex);
  } catch (const std::regex_error&) {
    // error_complexity or error_stack on a huge command line: no match
    // rather than an exception escaping a scanner thread.
    return false;
  }
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string FunctionList() {
  std::string out = "one of: ";
  for (const FunctionInfo& f : kFunctions) {
    if (&f != &kFunctions[0]) out += ", ";
    out += f.name;
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::optional<std::string> RegexLimitError(std::string_view p) {
  constexpr size_t kMaxDigits = 4;
  constexpr int64_t kMaxCount = 1000;
  constexpr int64_t kMaxProduct = 10000;
  auto digits_at = [&p](size_t i) {
    size_t j = i;
    while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
    return j - i;
  };
  int64_t product = 1;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      const size_t n = digits_at(i + 1);
      if (n > kMaxDigits) {
        return "a number of more than 4 digits after '\\'";
      }
      i += std::max<size_t>(n, 1);  // the escaped character or number
      continue;
    }
    if (in_class) {
      in_class = c != ']';
      continue;
    }
    if (c == '[') {
      in_class = true;
      continue;
    }
    if (c != '{') continue;
    // "{m}", "{m,}" or "{m,n}".
    int64_t largest = 0;
    size_t j = i + 1;
    for (int part = 0; part < 2; ++part) {
      const size_t n = digits_at(j);
      if (n > kMaxDigits) return "a repetition count of more than 4 digits";
      if (n > 0) {
        const int64_t v = std::stoll(std::string(p.substr(j, n)));
        if (v > kMaxCount) return "a repetition count above 1000";
        largest = std::max(largest, v);
      }
      j += n;
      if (part == 0 && (j >= p.size() || p[j] != ',')) break;
      ++j;
    }
    product *= std::max<int64_t>(largest, 1);
    if (product > kMaxProduct) {
      return "repetition counts that multiply to more than 10000";
    }
  }
  return std::nullopt;
}

std::shared_ptr<const std::regex> CompileCmdlineRegex(
    const std::string& pattern) {
  if (RegexLimitError(pattern)) {
    throw std::regex_error(std::regex_constants::error_complexity);
  }
  std::regex alone(pattern, kRegexSyntax);
  return std::make_shared<const std::regex>(
      "[\\s\\S]*(?:" + pattern + ")[\\s\\S]*", kRegexSyntax);
}

bool Node::Matches(const scan::ProcessIdentity& p,
                   const ParentMap& parents) const {
  switch (kind) {
    case Kind::kAnd:
      for (const Node& child : children) {
        if (!child.Matches(p, parents)) return false;
      }
      return true;
    case Kind::kOr:
      for (const Node& child : children) {
        if (child.Matches(p, parents)) return true;
      }
      return false;
    case Kind::kNot:
      return !children[0].Matches(p, parents);
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kUid:
    case Kind::kUser:
      return p.uid == number;
    case Kind::kPid:
      return p.pid == number;
    case Kind::kPpid:
      return p.ppid == number;
    case Kind::kComm:
      return p.comm == args[0];
    case Kind::kExe:
      return MatchesExe(p, args[0]);
    case Kind::kDescendants:
      return IsDescendant(p, static_cast<int>(number), parents);
    case Kind::kEnvK:
      return p.env.contains(args[0]);
    case Kind::kEnvKv: {
      auto it = p.env.find(args[0]);
      return it != p.env.end() && it->second == args[1];
    }
    case Kind::kCmdline:
      return SearchCmdline(p.cmdline, *regex);
    case Kind::kCgroup:
      return MatchesCgroup(p.cgroup, args[0]);
  }
  return false;
}

uint8_t Node::IdentityFiles() const {
  uint8_t files = 0;
  switch (kind) {
    case Kind::kCmdline:
      files = scan::kIdCmdline;
      break;
    case Kind::kExe:
      files = scan::kIdExe | scan::kIdCmdline;  // ParseExeName reads both
      break;
    case Kind::kCgroup:
      files = scan::kIdCgroup;
      break;
    default:
      break;
  }
  for (const Node& child : children) files |= child.IdentityFiles();
  return files;
}

void Node::CollectEnvKeys(absl::flat_hash_set<std::string>* keys) const {
  if (kind == Kind::kEnvK || kind == Kind::kEnvKv) keys->insert(args[0]);
  for (const Node& child : children) child.CollectEnvKeys(keys);
}

void Node::AppendTo(std::string* out) const {
  const FunctionInfo& f = InfoFor(kind);
  out->append(f.name);
  out->push_back('(');
  switch (f.arg_type) {
    case ArgType::kNone:
      break;
    case ArgType::kFilter:
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out->push_back(',');
        children[i].AppendTo(out);
      }
      break;
    case ArgType::kUid:
    case ArgType::kPid:
      out->append(std::to_string(number));
      break;
    case ArgType::kText:
      for (size_t i = 0; i < args.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(ValueText(args[i]));
      }
      break;
  }
  out->push_back(')');
}

}  // namespace memstats::filters
