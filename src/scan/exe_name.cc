#include "scan/exe_name.h"

#include "scan/parsers.h"

namespace memstats::scan {
namespace {

// The kernel appends this to the link of an unlinked file; a memfd lives on
// an internal mount and is always unlinked, so its link carries it too.
constexpr std::string_view kDeletedSuffix = " (deleted)";

}  // namespace

std::string_view PathBasename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view ExeName::Mark() const {
  switch (origin) {
    case ExeOrigin::kDeleted:
      return " (deleted)";
    case ExeOrigin::kMemfd:
      return " (memfd)";
    case ExeOrigin::kFile:
      break;
  }
  return "";
}

std::string ExeName::Display() const {
  std::string s = name;
  s += Mark();
  return s;
}

std::string ExeName::ShortDisplay() const {
  std::string s(PathBasename(name));
  s += Mark();
  return s;
}

ExeName ParseExeName(std::string_view exe_link,
                     std::span<const std::string> cmdline) {
  ExeName n;
  if (!exe_link.ends_with(kDeletedSuffix)) {
    n.name = std::string(exe_link);
    return n;
  }
  std::string_view path = exe_link;
  path.remove_suffix(kDeletedSuffix.size());
  if (path.starts_with(kMemfdPrefix)) {
    n.origin = ExeOrigin::kMemfd;
    std::string_view argv0 =
        cmdline.empty() ? std::string_view{} : PathBasename(cmdline[0]);
    n.name = std::string(argv0.empty() ? path.substr(kMemfdPrefix.size())
                                       : argv0);
    return n;
  }
  n.origin = ExeOrigin::kDeleted;
  n.name = std::string(path);
  return n;
}

std::string ExeDisplayName(std::string_view exe_link,
                           std::span<const std::string> cmdline) {
  return ParseExeName(exe_link, cmdline).Display();
}

}  // namespace memstats::scan
