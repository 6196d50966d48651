#include "scan/mountinfo.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memstats::scan {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 +
                                      (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

// mountinfo (proc(5)): "id parent major:minor root mount-point options
// [optional fields...] - fstype source super-options".
absl::StatusOr<std::vector<TmpfsMount>> ParseTmpfsMounts(std::string_view text) {
  std::vector<TmpfsMount> mounts;
  int line_no = 0;
  // Debian's abseil has its own string_view.
  const absl::string_view all(text.data(), text.size());
  for (absl::string_view line : absl::StrSplit(all, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 7 || dash + 2 >= f.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mountinfo line ", line_no, ": expected 'id parent "
                       "major:minor root mount-point options ... - fstype "
                       "source'"));
    }
    if (f[dash + 1] != "tmpfs") continue;
    TmpfsMount m;
    std::pair<absl::string_view, absl::string_view> dev =
        absl::StrSplit(f[2], absl::MaxSplits(':', 1));
    if (!absl::SimpleAtoi(dev.first, &m.major) ||
        !absl::SimpleAtoi(dev.second, &m.minor)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mountinfo line ", line_no, ": bad device '", f[2], "'"));
    }
    m.mount_point = Unescape({f[4].data(), f[4].size()});
    m.source = Unescape({f[dash + 2].data(), f[dash + 2].size()});
    mounts.push_back(std::move(m));
  }
  return mounts;
}

}  // namespace memstats::scan
