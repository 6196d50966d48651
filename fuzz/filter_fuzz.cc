// Fuzzes the filter language: ParseFilter and ParseFilterList on the input.
// A filter that parses must print (ToString) a text that parses again to
// the same text, and must evaluate without crashing on a fixed process
// whose parent chain runs into a cycle.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "filters/filter.h"
#include "scan/process_record.h"

namespace memstats::fuzz {
namespace {

std::optional<uint32_t> ResolveUser(std::string_view name) {
  if (name == "root") return 0;
  if (name == "alice") return 1000;
  return std::nullopt;
}

const scan::ProcessIdentity& Process() {
  static const scan::ProcessIdentity* p = [] {
    auto* id = new scan::ProcessIdentity;
    id->pid = 300;
    id->ppid = 400;
    id->uid = 1000;
    id->comm = "bash";
    id->exe = "/usr/bin/bash";
    id->cmdline = {"bash", "-c", "sleep 10; echo a,b (c)"};
    id->cgroup = "/user.slice/user-1000.slice/session-1.scope";
    id->env = {{"HOME", "/home/alice"}, {"LANG", ""}};
    return id;
  }();
  return *p;
}

// 300 -> 400 -> 300 is a cycle (as a racy pid -> ppid read can give);
// 100 -> 1 -> 0 ends at the root.
const filters::ParentMap& Parents() {
  static const filters::ParentMap* m = new filters::ParentMap{
      {1, 0}, {100, 1}, {200, 100}, {300, 400}, {400, 300}};
  return *m;
}

[[noreturn]] void Fail(const char* what, std::string_view input,
                       const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s\n  input: %.*s\n  first: %s\n  again: %s\n", what,
               static_cast<int>(input.size()), input.data(), a.c_str(),
               b.c_str());
  std::abort();
}

// An error's column is a byte offset into the input (the end at most).
void CheckError(const filters::FilterError& err, std::string_view input) {
  if (err.column > input.size()) {
    Fail("error column past the end", input, err.message,
         std::to_string(err.column));
  }
  (void)filters::FormatFilterError(input, err);
}

// ToString() of `f` must parse, to a filter with the same ToString().
void CheckRoundTrip(const filters::Filter& f, std::string_view input,
                    const filters::UserResolver& users) {
  const std::string text = f.ToString();
  auto again = filters::ParseFilter(text, users);
  if (auto* err = std::get_if<filters::FilterError>(&again)) {
    Fail("ToString() does not parse", input, text,
         filters::FormatFilterError(text, *err));
  }
  const std::string text2 = std::get<filters::Filter>(again).ToString();
  if (text2 != text) Fail("ToString() is not stable", input, text, text2);
  (void)f.Matches(Process(), Parents());
  (void)f.EnvKeys();
}

}  // namespace
}  // namespace memstats::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace memstats;  // NOLINT: a fuzz entry point in the global namespace
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const filters::UserResolver users = fuzz::ResolveUser;

  auto one = filters::ParseFilter(input, users);
  if (auto* f = std::get_if<filters::Filter>(&one)) {
    fuzz::CheckRoundTrip(*f, input, users);
  } else {
    fuzz::CheckError(std::get<filters::FilterError>(one), input);
  }

  auto list = filters::ParseFilterList(input, users);
  if (auto* fs = std::get_if<std::vector<filters::Filter>>(&list)) {
    for (const filters::Filter& f : *fs) fuzz::CheckRoundTrip(f, input, users);
  } else {
    fuzz::CheckError(std::get<filters::FilterError>(list), input);
  }
  return 0;
}
