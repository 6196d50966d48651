// Hand-written parsers for the /proc text formats (see proc(5) and the
// kernel's fs/proc/). They work on std::string_view slices of the input and
// allocate only for what they return (names, paths, map keys), because
// smaps of a big process is megabytes of text.
//
// Error messages read "<file> line <N>: <what>", N counting from 1. When a
// required field never appears, N is the line where the input ends (the
// line after a final '\n'), as an editor's cursor at end of file shows it.

#include "scan/parsers.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace memstats::scan {
namespace {

// Splits text into lines and numbers them; the last line may lack its '\n'.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  bool Next(std::string_view* line) {
    if (rest_.empty()) return false;
    ++line_no_;
    size_t nl = rest_.find('\n');
    if (nl == std::string_view::npos) {
      *line = rest_;
      rest_ = {};
      ended_in_newline_ = false;
    } else {
      *line = rest_.substr(0, nl);
      rest_.remove_prefix(nl + 1);
    }
    return true;
  }

  int line_no() const { return line_no_; }
  // The line on which the input ends; meaningful once Next() returned false.
  int EndLine() const { return ended_in_newline_ ? line_no_ + 1 : line_no_; }

 private:
  std::string_view rest_;
  int line_no_ = 0;
  bool ended_in_newline_ = true;
};

// Quotes a piece of input for an error message: escaped and cut short, as
// the input may be binary garbage.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out =
      absl::CHexEscape(absl::string_view(s.data(), std::min(s.size(), kMax)));
  if (s.size() > kMax) out += "...";
  return absl::StrCat("'", out, "'");
}

// A place in the input, for error messages.
struct Where {
  std::string_view kind;  // "status", "smaps_rollup", ...
  int line;

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s line %d: %s", absl::string_view(kind.data(), kind.size()), line,
        absl::string_view(what.data(), what.size())));
  }
  // "missing <name>" for an empty token, else "bad <name> '<token>'".
  absl::Status Bad(std::string_view name, std::string_view token) const {
    std::string n(name);
    return Error(token.empty() ? absl::StrCat("missing ", n)
                               : absl::StrCat("bad ", n, " ", Quote(token)));
  }
};

// Whole-token integer parsing: no sign for unsigned types, no spaces, no
// "0x", no trailing junk, no overflow.
template <typename T>
bool ToInt(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out, base);
  return ec == std::errc() && ptr == end;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimLeft(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  return s.substr(i);
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  size_t n = s.size();
  while (n > 0 && IsSpace(s[n - 1])) --n;
  return s.substr(0, n);
}

// Removes and returns the next blank-separated token of *s ("" at the end).
std::string_view NextToken(std::string_view* s) {
  std::string_view t = TrimLeft(*s);
  size_t n = 0;
  while (n < t.size() && !IsSpace(t[n])) ++n;
  *s = t.substr(n);
  return t.substr(0, n);
}

enum class Unit { kKbRequired, kKbOptional };

// "   123 kB" -> 125952; "   123" -> 123 (a count, kept as it is) unless
// the field is always in kB: then a missing unit means a line cut short.
absl::Status ParseAmount(std::string_view value, const Where& at, Unit rule,
                         uint64_t* out) {
  std::string_view rest = value;
  std::string_view number = NextToken(&rest);
  std::string_view unit = Trim(rest);
  uint64_t n = 0;
  if (!ToInt(number, &n)) return at.Bad("number", number);
  if (unit.empty() && rule == Unit::kKbOptional) {
    *out = n;
  } else if (unit == "kB") {
    if (n > std::numeric_limits<uint64_t>::max() / 1024) {
      return at.Bad("number (overflows bytes)", number);
    }
    *out = n * 1024;
  } else {
    return at.Bad("unit", unit);
  }
  return absl::OkStatus();
}

// Splits "Key:value" at the first ':'; false when there is none.
bool SplitKey(std::string_view line, std::string_view* key,
              std::string_view* value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  *key = line.substr(0, colon);
  *value = line.substr(colon + 1);
  return true;
}

// One maps line, "start-end perms offset major:minor inode   path", as the
// kernel's show_map_vma() prints it: hex addresses, offset and device, a
// decimal inode, then blank padding to a column and the path, which runs
// to the end of the line and may hold spaces (a '\n' in a file name is
// printed as "\012"). Anonymous mappings have no path. Fills all of *e but
// its path, which is returned as a view into `line`.
absl::Status ParseMapLine(std::string_view line, const Where& at, MapEntry* e,
                          std::string_view* path) {
  std::string_view rest = line;
  std::string_view range = NextToken(&rest);
  size_t dash = range.find('-');
  if (dash == std::string_view::npos ||
      !ToInt(range.substr(0, dash), &e->start, 16) ||
      !ToInt(range.substr(dash + 1), &e->end, 16)) {
    return at.Bad("address range", range);
  }
  if (e->end < e->start) return at.Bad("address range (end < start)", range);

  std::string_view perms = NextToken(&rest);
  if (perms.size() != 4 || (perms[0] != 'r' && perms[0] != '-') ||
      (perms[1] != 'w' && perms[1] != '-') ||
      (perms[2] != 'x' && perms[2] != '-') ||
      (perms[3] != 's' && perms[3] != 'p')) {
    return at.Bad("permissions", perms);
  }
  e->read = perms[0] == 'r';
  e->write = perms[1] == 'w';
  e->exec = perms[2] == 'x';
  e->shared = perms[3] == 's';

  std::string_view offset = NextToken(&rest);
  if (!ToInt(offset, &e->offset, 16)) return at.Bad("offset", offset);

  std::string_view dev = NextToken(&rest);
  size_t colon = dev.find(':');
  if (colon == std::string_view::npos ||
      !ToInt(dev.substr(0, colon), &e->dev_major, 16) ||
      !ToInt(dev.substr(colon + 1), &e->dev_minor, 16)) {
    return at.Bad("device", dev);
  }

  std::string_view inode = NextToken(&rest);
  if (!ToInt(inode, &e->inode)) return at.Bad("inode", inode);

  *path = TrimLeft(rest);
  return absl::OkStatus();
}

// smaps fields that SmapsTotals sums. Others (Pss_Dirty, Referenced, KSM,
// LazyFree, AnonHugePages, Locked, THPeligible, VmFlags, ...) are skipped.
struct SmapsField {
  std::string_view name;
  uint64_t SmapsTotals::*member;
};
constexpr SmapsField kSmapsFields[] = {
    {"Rss", &SmapsTotals::rss},
    {"Pss", &SmapsTotals::pss},
    {"Pss_Anon", &SmapsTotals::pss_anon},
    {"Pss_File", &SmapsTotals::pss_file},
    {"Pss_Shmem", &SmapsTotals::pss_shmem},
    {"Shared_Clean", &SmapsTotals::shared_clean},
    {"Shared_Dirty", &SmapsTotals::shared_dirty},
    {"Private_Clean", &SmapsTotals::private_clean},
    {"Private_Dirty", &SmapsTotals::private_dirty},
    {"Anonymous", &SmapsTotals::anonymous},
    {"Swap", &SmapsTotals::swap},
    {"SwapPss", &SmapsTotals::swap_pss},
    {"Shared_Hugetlb", &SmapsTotals::shared_hugetlb},
    {"Private_Hugetlb", &SmapsTotals::private_hugetlb},
};

// smaps is a sequence of mappings: a maps-format header line, then
// "Key:   value kB" lines. smaps_rollup is the same with one header whose
// path is "[rollup]". A field line has a ':' before its first blank; a
// header starts with "start-end" and a blank.
//
// With `mappings` null, every mapping's fields are added into *sum and
// header paths are not copied; otherwise each mapping gets its own entry.
absl::Status ParseSmapsText(std::string_view text, std::string_view kind,
                            SmapsTotals* sum,
                            std::vector<SmapsMapping>* mappings) {
  LineReader lines(text);
  std::string_view line;
  MapEntry scratch;
  SmapsTotals* totals = nullptr;
  uint64_t* size = nullptr;
  while (lines.Next(&line)) {
    const Where at{kind, lines.line_no()};
    size_t i = 0;
    while (i < line.size() && line[i] != ':' && !IsSpace(line[i])) ++i;
    if (i == line.size() || line[i] != ':') {
      std::string_view path;
      if (mappings == nullptr) {
        absl::Status s = ParseMapLine(line, at, &scratch, &path);
        if (!s.ok()) return s;
        totals = sum;
      } else {
        SmapsMapping& m = mappings->emplace_back();
        absl::Status s = ParseMapLine(line, at, &m.map, &path);
        if (!s.ok()) return s;
        m.map.path.assign(path);
        totals = &m.totals;
        size = &m.size;
      }
      continue;
    }
    if (totals == nullptr) return at.Error("field before any mapping header");
    std::string_view key = line.substr(0, i);
    uint64_t* dst = nullptr;
    if (key == "Size") {
      dst = size;  // null for the rollup, which sums no sizes
    } else {
      for (const SmapsField& f : kSmapsFields) {
        if (key == f.name) {
          dst = &(totals->*f.member);
          break;
        }
      }
    }
    if (dst == nullptr) continue;
    uint64_t bytes = 0;
    absl::Status s =
        ParseAmount(line.substr(i + 1), at, Unit::kKbRequired, &bytes);
    if (!s.ok()) return s;
    *dst += bytes;
  }
  return absl::OkStatus();
}

}  // namespace

// status is "Key:\tvalue" lines. Name is printed after exactly one tab and
// runs to the end of the line (it may hold spaces, tabs and ':'); Uid holds
// four tab-separated ids (real, effective, saved, fs).
absl::StatusOr<StatusInfo> ParseStatus(std::string_view text) {
  constexpr std::string_view kKind = "status";
  StatusInfo info;
  bool have_name = false, have_ppid = false, have_uid = false;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    const Where at{kKind, lines.line_no()};
    std::string_view key, value;
    if (!SplitKey(line, &key, &value)) {
      return at.Error(absl::StrCat("expected 'Key:' in ", Quote(line)));
    }
    if (key == "Name") {
      if (!value.empty() && value.front() == '\t') value.remove_prefix(1);
      info.name.assign(value);
      have_name = true;
    } else if (key == "PPid") {
      std::string_view v = Trim(value);
      if (!ToInt(v, &info.ppid)) return at.Bad("PPid", v);
      have_ppid = true;
    } else if (key == "Uid") {
      std::string_view rest = value;
      std::string_view real = NextToken(&rest);
      if (!ToInt(real, &info.uid)) return at.Bad("Uid", real);
      have_uid = true;
    } else if (key == "State") {
      std::string_view v = Trim(value);
      if (!v.empty()) info.state = v.front();
    } else if (key == "Threads") {
      std::string_view v = Trim(value);
      if (!ToInt(v, &info.threads)) return at.Bad("Threads", v);
    } else if (key == "Kthread") {
      std::string_view v = Trim(value);
      if (v != "0" && v != "1") return at.Bad("Kthread", v);
      info.kthread = v == "1";
    } else if (key == "VmPTE" || key == "VmHWM") {
      absl::Status s = ParseAmount(
          value, at, Unit::kKbRequired,
          key == "VmPTE" ? &info.vm_pte_bytes : &info.vm_hwm_bytes);
      if (!s.ok()) return s;
    }
  }
  const Where end{kKind, lines.EndLine()};
  if (!have_name) return end.Error("end of input without Name");
  if (!have_ppid) return end.Error("end of input without PPid");
  if (!have_uid) return end.Error("end of input without Uid");
  return info;
}

// stat is one line, "pid (comm) state ppid pgrp session tty_nr tpgid flags
// ...". comm may hold anything, ')' and spaces included, so it ends at the
// last ')'. Fields are numbered from 1 as in proc(5).
absl::StatusOr<StatInfo> ParseStat(std::string_view text) {
  const Where at{"stat", 1};
  std::string_view line = text.substr(0, text.find('\n'));
  size_t open = line.find('(');
  size_t close = line.rfind(')');
  if (open == std::string_view::npos) return at.Error("missing '(' of comm");
  if (close == std::string_view::npos || close < open) {
    return at.Error("missing ')' of comm");
  }
  StatInfo info;
  std::string_view pid = Trim(line.substr(0, open));
  if (!ToInt(pid, &info.pid)) return at.Bad("field 1 (pid)", pid);
  info.comm.assign(line.substr(open + 1, close - open - 1));

  std::string_view rest = line.substr(close + 1);
  std::string_view state = NextToken(&rest);
  if (state.size() != 1) return at.Bad("field 3 (state)", state);
  info.state = state[0];
  std::string_view ppid = NextToken(&rest);
  if (!ToInt(ppid, &info.ppid)) return at.Bad("field 4 (ppid)", ppid);
  constexpr std::string_view kSkipped[] = {
      "field 5 (pgrp)", "field 6 (session)", "field 7 (tty_nr)",
      "field 8 (tpgid)"};
  for (std::string_view name : kSkipped) {
    if (NextToken(&rest).empty()) return at.Bad(name, "");
  }
  std::string_view flags = NextToken(&rest);
  if (!ToInt(flags, &info.flags)) return at.Bad("field 9 (flags)", flags);
  return info;
}

std::vector<std::string> ParseCmdline(std::string_view text) {
  std::vector<std::string> args;
  if (text.empty()) return args;
  if (text.back() == '\0') text.remove_suffix(1);
  while (true) {
    size_t nul = text.find('\0');
    args.emplace_back(text.substr(0, nul));
    if (nul == std::string_view::npos) break;
    text.remove_prefix(nul + 1);
  }
  return args;
}

// When a key appears twice the first one wins, as with getenv(3).
absl::flat_hash_map<std::string, std::string> ParseEnviron(
    std::string_view text, const absl::flat_hash_set<std::string>& keys) {
  absl::flat_hash_map<std::string, std::string> env;
  while (!keys.empty() && !text.empty()) {
    size_t nul = text.find('\0');
    std::string_view entry = text.substr(0, nul);
    text.remove_prefix(nul == std::string_view::npos ? text.size() : nul + 1);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = entry.substr(0, eq);
    if (!keys.contains(absl::string_view(key.data(), key.size()))) continue;
    env.try_emplace(std::string(key), entry.substr(eq + 1));
  }
  return env;
}

absl::StatusOr<std::vector<MapEntry>> ParseMaps(std::string_view text) {
  std::vector<MapEntry> maps;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    MapEntry& e = maps.emplace_back();
    std::string_view path;
    absl::Status s =
        ParseMapLine(line, Where{"maps", lines.line_no()}, &e, &path);
    if (!s.ok()) return s;
    e.path.assign(path);
  }
  return maps;
}

// The kernel names a SysV segment's mapping "/SYSV%08x (deleted)" with the
// key in hex (ipc/shm.c newseg()); the file lives unlinked on the kernel's
// internal shm mount, hence " (deleted)" whatever the segment's IPC state.
bool IsSysvMapping(const MapEntry& m) {
  constexpr std::string_view kPrefix = "/SYSV";
  constexpr std::string_view kSuffix = " (deleted)";
  constexpr size_t kHexDigits = 8;
  std::string_view p = m.path;
  if (p.size() != kPrefix.size() + kHexDigits + kSuffix.size() ||
      !p.starts_with(kPrefix) || !p.ends_with(kSuffix)) {
    return false;
  }
  return std::all_of(p.begin() + kPrefix.size(),
                     p.begin() + kPrefix.size() + kHexDigits, [](char c) {
                       return (c >= '0' && c <= '9') ||
                              (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                     });
}

absl::StatusOr<SmapsTotals> ParseSmapsRollup(std::string_view text) {
  SmapsTotals sum;
  absl::Status s = ParseSmapsText(text, "smaps_rollup", &sum, nullptr);
  if (!s.ok()) return s;
  return sum;
}

absl::StatusOr<std::vector<SmapsMapping>> ParseSmaps(std::string_view text) {
  std::vector<SmapsMapping> mappings;
  absl::Status s = ParseSmapsText(text, "smaps", nullptr, &mappings);
  if (!s.ok()) return s;
  return mappings;
}

// cgroup lines are "hierarchy-id:controller,list:path"; the path may itself
// hold ':'. cgroup v2 has the single line "0::path".
std::string ParseCgroup(std::string_view text) {
  std::string_view unified;
  bool have_unified = false;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view id = line.substr(0, c1);
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string_view path = line.substr(c2 + 1);
    if (id == "0" && controllers.empty()) {
      if (!have_unified) unified = path;
      have_unified = true;
      continue;
    }
    while (!controllers.empty()) {
      size_t comma = controllers.find(',');
      if (controllers.substr(0, comma) == "memory") return std::string(path);
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  }
  return std::string(unified);
}

// /proc/sysvipc/shm: a header naming the columns, then one blank-separated
// row per segment (ipc/shm.c sysvipc_shm_proc_show): key (decimal, signed),
// shmid, perms (octal), size, cpid, lpid, nattch, uid, gid, cuid, cgid,
// atime, dtime, ctime, rss, swap. Columns are found by their header name;
// rss and swap (bytes) are missing on very old kernels and read as 0.
absl::StatusOr<std::vector<SysvSegment>> ParseSysvShm(std::string_view text) {
  constexpr std::string_view kKind = "sysvipc/shm";
  enum Column {
    kKey, kShmid, kSize, kNattch, kUid, kRss, kSwap, kPerms, kNumColumns
  };
  constexpr std::string_view kNames[kNumColumns] = {
      "key", "shmid", "size", "nattch", "uid", "rss", "swap", "perms"};
  constexpr int kRequired = kRss;  // columns before kRss must be present
  constexpr size_t kMaxColumns = 64;
  int index[kNumColumns];
  std::fill(std::begin(index), std::end(index), -1);

  LineReader lines(text);
  std::string_view line;
  if (!lines.Next(&line)) return Where{kKind, 1}.Error("missing header");
  size_t num_columns = 0;
  for (std::string_view rest = line, name = NextToken(&rest); !name.empty();
       name = NextToken(&rest), ++num_columns) {
    for (int c = 0; c < kNumColumns; ++c) {
      if (name == kNames[c] && index[c] < 0) {
        index[c] = static_cast<int>(num_columns);
      }
    }
  }
  for (int c = 0; c < kRequired; ++c) {
    if (index[c] < 0) {
      return Where{kKind, 1}.Error(
          absl::StrCat("header has no column '", std::string(kNames[c]), "'"));
    }
  }
  if (num_columns > kMaxColumns) {
    return Where{kKind, 1}.Error("header has too many columns");
  }

  std::vector<SysvSegment> segments;
  std::string_view tokens[kMaxColumns];
  while (lines.Next(&line)) {
    const Where at{kKind, lines.line_no()};
    size_t n = 0;
    std::string_view rest = line;
    for (std::string_view t = NextToken(&rest); !t.empty() && n < kMaxColumns;
         t = NextToken(&rest)) {
      tokens[n++] = t;
    }
    if (n != num_columns) {
      return at.Error(
          absl::StrFormat("%d columns, header has %d", n, num_columns));
    }
    SysvSegment& seg = segments.emplace_back();
    auto column = [&](Column c) {
      return index[c] < 0 ? std::string_view("0") : tokens[index[c]];
    };
    if (!ToInt(column(kKey), &seg.key)) return at.Bad("key", column(kKey));
    if (!ToInt(column(kShmid), &seg.shmid)) {
      return at.Bad("shmid", column(kShmid));
    }
    if (!ToInt(column(kSize), &seg.size)) return at.Bad("size", column(kSize));
    if (!ToInt(column(kNattch), &seg.nattch)) {
      return at.Bad("nattch", column(kNattch));
    }
    if (!ToInt(column(kUid), &seg.uid)) return at.Bad("uid", column(kUid));
    if (!ToInt(column(kRss), &seg.rss)) return at.Bad("rss", column(kRss));
    if (!ToInt(column(kSwap), &seg.swap)) return at.Bad("swap", column(kSwap));
    // "%4o": octal.
    if (!ToInt(column(kPerms), &seg.mode, 8)) {
      return at.Bad("perms", column(kPerms));
    }
  }
  return segments;
}

absl::StatusOr<absl::flat_hash_map<std::string, uint64_t>> ParseMeminfo(
    std::string_view text) {
  absl::flat_hash_map<std::string, uint64_t> info;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    const Where at{"meminfo", lines.line_no()};
    std::string_view key, value;
    if (!SplitKey(line, &key, &value) || key.empty()) {
      return at.Error(absl::StrCat("expected 'Key:' in ", Quote(line)));
    }
    uint64_t bytes = 0;
    absl::Status s = ParseAmount(value, at, Unit::kKbOptional, &bytes);
    if (!s.ok()) return s;
    info[std::string(key)] = bytes;
  }
  return info;
}

// The per-CPU page lists of each zone's "pagesets" block: one
// "count: N" line per CPU (pages), among many other "key: value" lines.
absl::StatusOr<uint64_t> ParseZoneinfoPcpPages(std::string_view text) {
  uint64_t pages = 0;
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    std::string_view key, value;
    if (!SplitKey(TrimLeft(line), &key, &value) || key != "count") continue;
    const Where at{"zoneinfo", lines.line_no()};
    uint64_t n = 0;
    value = TrimLeft(value);
    while (!value.empty() && IsSpace(value.back())) value.remove_suffix(1);
    if (!ToInt(value, &n)) return at.Bad("count", value);
    pages += n;
  }
  return pages;
}

}  // namespace memstats::scan
