#include "render/units.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memstats::render {

std::optional<Unit> ParseUnit(std::string_view s) {
  if (s == "B") return Unit::kBytes;
  if (s == "KiB") return Unit::kKiB;
  if (s == "MiB") return Unit::kMiB;
  if (s == "GiB") return Unit::kGiB;
  if (s == "auto") return Unit::kAuto;
  return std::nullopt;
}

std::string FormatBytes(uint64_t bytes, Unit unit) {
  const double b = static_cast<double>(bytes);
  switch (unit) {
    case Unit::kBytes:
      return absl::StrCat(bytes);
    case Unit::kKiB:
      return absl::StrCat(bytes / 1024);
    case Unit::kMiB:
      return absl::StrFormat("%.1f", b / (1 << 20));
    case Unit::kGiB:
      return absl::StrFormat("%.1f", b / (1 << 30));
    case Unit::kAuto:
      break;
  }
  if (bytes < 1024) return absl::StrCat(bytes, "B");
  if (bytes < (uint64_t{1} << 20)) return absl::StrFormat("%.1fK", b / 1024);
  if (bytes < (uint64_t{1} << 30)) {
    return absl::StrFormat("%.1fM", b / (1 << 20));
  }
  if (bytes < (uint64_t{1} << 40)) {
    return absl::StrFormat("%.1fG", b / (1 << 30));
  }
  return absl::StrFormat("%.1fT", b / (uint64_t{1} << 40));
}

std::string FormatThousands(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3
                          : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string EscapeForTerminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8Length(s, i);
    if (n == 0 || c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string Shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t keep = (max - 3) / 2;
  return s.substr(0, keep) + "..." + s.substr(s.size() - (max - 3 - keep));
}

}  // namespace memstats::render
