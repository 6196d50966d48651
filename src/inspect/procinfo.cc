#include "inspect/procinfo.h"

#include <algorithm>
#include <span>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "sets/page_catalog.h"

namespace memstats::inspect {
namespace {

using scan::ProcHandle;

// Pagemap entries read per pread (64 KiB); mappings larger than this are
// first walked with PAGEMAP_SCAN, so a huge sparse reservation (a sanitizer's
// shadow, a JVM heap) costs its present pages only.
constexpr uint64_t kChunk = 8192;
// kpageflags/kpagecount reads: PFNs this close together are read in one
// span of at most kMaxSpan entries.
constexpr uint64_t kMaxGap = 16;
constexpr uint64_t kMaxSpan = 4096;

// Debian's abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

bool ParseHexAddress(absl::string_view s, uint64_t& out) {
  if (!absl::ConsumePrefix(&s, "0x")) absl::ConsumePrefix(&s, "0X");
  if (s.empty() || s.find_first_not_of("0123456789abcdefABCDEF") !=
                       absl::string_view::npos) {
    return false;
  }
  return absl::SimpleHexAtoi(s, &out);
}

// A non-empty pagemap entry and where it is.
struct RawEntry {
  uint64_t address;
  uint64_t entry;
  size_t mapping;
};

// The page an entry names: a present page, or a resident page behind a
// migration (hwpoison, device-private) entry. Nullopt for swap and markers.
std::optional<uint64_t> NamedPfn(uint64_t e) {
  if (scan::PmIsPresent(e)) return scan::PmPfn(e);
  if (scan::PmIsSwapped(e) &&
      scan::PmSwapEntryKind(e) == scan::SwapEntryKind::kPage) {
    return scan::PmSwapOffset(e);
  }
  return std::nullopt;
}

// Appends the non-empty entries of pages [first, last) to `out`.
absl::Status ReadDense(ProcHandle& h, uint64_t page_size, uint64_t first,
                       uint64_t last, size_t mapping,
                       std::vector<RawEntry>& out) {
  std::vector<uint64_t> buf(std::min(kChunk, last - first));
  for (uint64_t vpn = first; vpn < last;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(last - vpn, kChunk));
    std::span<uint64_t> entries(buf.data(), n);
    if (absl::Status s = h.ReadPagemap(vpn, entries); !s.ok()) return s;
    for (size_t i = 0; i < n; ++i) {
      if (entries[i] == 0) continue;
      out.push_back({(vpn + i) * page_size, entries[i], mapping});
    }
    vpn += n;
  }
  return absl::OkStatus();
}

// Appends the non-empty entries of [start, end) (page-aligned bytes).
absl::Status ReadEntries(ProcHandle& h, uint64_t page_size, uint64_t start,
                         uint64_t end, size_t mapping,
                         std::vector<RawEntry>& out) {
  const uint64_t first = start / page_size;
  const uint64_t last = end / page_size;
  if (last - first > kChunk) {
    std::vector<ProcHandle::Range> ranges;
    absl::Status s = h.ScanPresent(start, end, ranges);
    if (s.ok()) {
      for (const ProcHandle::Range& r : ranges) {
        s = ReadDense(h, page_size, r.start / page_size, r.end / page_size,
                      mapping, out);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (!absl::IsUnimplemented(s) && !absl::IsInvalidArgument(s)) return s;
  }
  return ReadDense(h, page_size, first, last, mapping, out);
}

// kpageflags and kpagecount of the distinct PFNs `pfns` (sorted, unique),
// read in spans.
absl::Status ReadKpages(scan::ProcSource& source,
                        const std::vector<uint64_t>& pfns,
                        std::vector<uint64_t>& flags,
                        std::vector<uint64_t>& counts) {
  flags.assign(pfns.size(), 0);
  counts.assign(pfns.size(), 0);
  std::vector<uint64_t> f, n;
  for (size_t i = 0; i < pfns.size();) {
    size_t j = i + 1;
    while (j < pfns.size() && pfns[j] - pfns[j - 1] <= kMaxGap + 1 &&
           pfns[j] - pfns[i] < kMaxSpan) {
      ++j;
    }
    const uint64_t span = pfns[j - 1] - pfns[i] + 1;
    f.resize(span);
    n.resize(span);
    absl::Status s = source.ReadKpageflags(pfns[i], f);
    if (s.ok()) s = source.ReadKpagecount(pfns[i], n);
    if (!s.ok()) return s;
    for (size_t k = i; k < j; ++k) {
      flags[k] = f[pfns[k] - pfns[i]];
      counts[k] = n[pfns[k] - pfns[i]];
    }
    i = j;
  }
  return absl::OkStatus();
}

absl::Status Vanished(int pid) {
  return absl::NotFoundError(
      absl::StrCat("process ", pid, " exited while it was read"));
}

// A failed read of a process that was there: vanished, or not allowed.
absl::Status ReadFailure(const absl::Status& s, int pid) {
  return absl::IsNotFound(s) ? Vanished(pid) : s;
}

// Still running and not exiting after its memory files were read (see
// ProcessReader::StillRunning in scan/scanner.cc for why this is needed).
bool StillRunning(ProcHandle& h) {
  auto text = h.ReadFile("stat");
  if (!text.ok()) return !absl::IsNotFound(text.status());
  auto stat = scan::ParseStat(*text);
  return !stat.ok() || (!(stat->flags & scan::kPfExiting) &&
                        stat->state != 'Z' && stat->state != 'X');
}

// What kpageflags and kpagecount say of an entry's page, and how many
// entries of the whole process name it.
struct PageData {
  uint64_t flags = 0;
  uint64_t count = 0;
  uint64_t own = 0;  // the process's entries for this PFN
};

// Adds one entry's figures to `fig`; `page` is null without page-level data.
void Account(uint64_t e, const PageData* page, uint64_t page_size,
             PageFigures& fig) {
  if (!NamedPfn(e)) {
    if (scan::PmSwapEntryKind(e) == scan::SwapEntryKind::kSwap) {
      ++fig.swap;
      fig.swap_bytes += page_size;
    }
    return;
  }
  ++fig.present;
  if (page == nullptr) return;
  const uint64_t f = page->flags;
  if (scan::KpfHas(f, scan::kKpfThp)) ++fig.thp;
  if (scan::KpfHas(f, scan::kKpfKsm)) ++fig.ksm;
  const sets::PageKind kind = sets::KindFromFlags(f);
  if (scan::KpfHas(f, scan::kKpfZeroPage)) {
    ++fig.zero;
    return;
  }
  if (kind == sets::PageKind::kHugetlb) {
    ++fig.hugetlb;
    return;
  }
  if (kind == sets::PageKind::kIgnored || page->count == 0) {
    ++fig.unmapped;
    return;
  }
  fig.rss += page_size;
  const uint64_t mapcount = std::max(page->count, page->own);
  const uint64_t share = (page_size << sets::kPssShift) / mapcount;
  fig.pss_fixed += share;
  if (page->count <= page->own) fig.uss_fixed += share;
}

void AddFigures(const PageFigures& from, PageFigures& to) {
  to.present += from.present;
  to.swap += from.swap;
  to.rss += from.rss;
  to.swap_bytes += from.swap_bytes;
  to.thp += from.thp;
  to.hugetlb += from.hugetlb;
  to.ksm += from.ksm;
  to.zero += from.zero;
  to.unmapped += from.unmapped;
  to.pss_fixed += from.pss_fixed;
  to.uss_fixed += from.uss_fixed;
}

void Finish(PageFigures& fig) {
  fig.pss = fig.pss_fixed >> sets::kPssShift;
  fig.uss = fig.uss_fixed >> sets::kPssShift;
}

bool Intersects(const scan::MapEntry& m, const std::optional<AddressRange>& r) {
  return !r || (m.start < r->end && r->start < m.end);
}

}  // namespace

absl::StatusOr<AddressRange> ParseAddressRange(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", Absl(text), "' is not an address range (expected START-END in "
        "hexadecimal, e.g. 7f0000000000-7f0000100000)"));
  }
  AddressRange r;
  const std::string_view start = text.substr(0, dash);
  const std::string_view end = text.substr(dash + 1);
  if (!ParseHexAddress(Absl(start), r.start)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", Absl(start), "' is not a hexadecimal address"));
  }
  if (!ParseHexAddress(Absl(end), r.end)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Absl(end), "' is not a hexadecimal address"));
  }
  if (r.start >= r.end) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the range %#x-%#x is empty (its end must be above its start)",
        r.start, r.end));
  }
  return r;
}

absl::StatusOr<ProcInfo> ReadProcInfo(scan::ProcSource& source, int pid,
                                      const ProcinfoRequest& request) {
  auto handle = source.OpenProcess(pid);
  if (absl::IsNotFound(handle.status())) {
    return absl::NotFoundError(absl::StrCat("no process with pid ", pid));
  }
  if (!handle.ok()) return handle.status();
  ProcHandle& h = **handle;

  ProcInfo info;
  info.pid = pid;
  info.page_size = source.PageSize();
  info.range = request.range;
  auto stat_text = h.ReadFile("stat");
  if (!stat_text.ok()) return ReadFailure(stat_text.status(), pid);
  auto stat = scan::ParseStat(*stat_text);
  if (!stat.ok()) return stat.status();
  auto status_text = h.ReadFile("status");
  if (!status_text.ok()) return ReadFailure(status_text.status(), pid);
  auto status = scan::ParseStatus(*status_text);
  if (!status.ok()) return status.status();
  info.comm = status->name;
  if ((stat->flags & scan::kPfKthread) || status->kthread.value_or(false)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pid ", pid, " (", info.comm,
        ") is a kernel thread: it has no user memory to show"));
  }
  if (stat->state == 'Z' || stat->state == 'X') {
    return absl::FailedPreconditionError(absl::StrCat(
        "pid ", pid, " (", info.comm,
        ") is a zombie: its memory is already freed"));
  }
  if (auto exe = h.ReadLink("exe"); exe.ok()) info.exe = std::move(*exe);

  int threads = 0, unknown_stacks = 0;
  const std::vector<uint64_t> sps =
      scan::ReadThreadStackPointers(h, &threads, &unknown_stacks);
  auto smaps_text = h.ReadFile("smaps");
  if (!smaps_text.ok()) return ReadFailure(smaps_text.status(), pid);
  auto smaps = scan::ParseSmaps(*smaps_text);
  if (!smaps.ok()) return smaps.status();

  // Every mapping's entries: USS needs the process's own references to
  // each PFN over all its mappings, whatever the range.
  std::vector<RawEntry> raw;
  for (size_t i = 0; i < smaps->size(); ++i) {
    const scan::MapEntry& m = (*smaps)[i].map;
    // [vsyscall] sits above the user address range pagemap covers.
    if (m.path == "[vsyscall]") continue;
    absl::Status s = ReadEntries(h, info.page_size, m.start, m.end, i, raw);
    if (!s.ok()) return ReadFailure(s, pid);
  }
  if (!StillRunning(h)) return Vanished(pid);

  // PFNs hidden (no CAP_SYS_ADMIN): present entries all read PFN 0.
  std::vector<uint64_t> own;  // every named PFN, once per entry
  bool zero_pfn = false;
  for (const RawEntry& r : raw) {
    if (auto pfn = NamedPfn(r.entry); pfn) {
      if (*pfn == 0) {
        zero_pfn = true;
      } else {
        own.push_back(*pfn);
      }
    }
  }
  std::sort(own.begin(), own.end());
  info.page_level = true;
  if (zero_pfn && own.empty()) {
    info.page_level = false;
    info.page_level_off =
        "physical page numbers are hidden (pagemap reads PFN 0 without "
        "CAP_SYS_ADMIN)";
  }

  // The pages asked for, and what kpageflags/kpagecount say of them.
  std::vector<RawEntry> selected;
  for (const RawEntry& r : raw) {
    if (!request.range || (r.address >= request.range->start &&
                           r.address < request.range->end)) {
      selected.push_back(r);
    }
  }
  std::vector<uint64_t> pfns;  // distinct, sorted
  std::vector<uint64_t> flags, counts;
  if (info.page_level) {
    for (const RawEntry& r : selected) {
      if (auto pfn = NamedPfn(r.entry); pfn && *pfn != 0) pfns.push_back(*pfn);
    }
    std::sort(pfns.begin(), pfns.end());
    pfns.erase(std::unique(pfns.begin(), pfns.end()), pfns.end());
    absl::Status s = ReadKpages(source, pfns, flags, counts);
    if (absl::IsPermissionDenied(s)) {
      info.page_level = false;
      info.page_level_off = absl::StrCat(
          "/proc/kpageflags and /proc/kpagecount cannot be read (",
          s.message(), ")");
    } else if (!s.ok()) {
      return s;
    }
  }
  auto page_data = [&](uint64_t e, PageData& d) -> const PageData* {
    if (!info.page_level) return nullptr;
    auto pfn = NamedPfn(e);
    if (!pfn || *pfn == 0) return nullptr;
    const size_t k = static_cast<size_t>(
        std::lower_bound(pfns.begin(), pfns.end(), *pfn) - pfns.begin());
    d.flags = flags[k];
    d.count = counts[k];
    auto [lo, hi] = std::equal_range(own.begin(), own.end(), *pfn);
    d.own = static_cast<uint64_t>(hi - lo);
    return &d;
  };

  // Mappings that intersect the range, cut to it; index map for pages.
  std::vector<size_t> row_of(smaps->size(), SIZE_MAX);
  for (size_t i = 0; i < smaps->size(); ++i) {
    const scan::SmapsMapping& sm = (*smaps)[i];
    if (!Intersects(sm.map, request.range)) continue;
    MappingInfo& mi = info.mappings.emplace_back();
    mi.map = sm.map;
    if (request.range) {
      mi.map.start = std::max(mi.map.start, request.range->start);
      mi.map.end = std::min(mi.map.end, request.range->end);
      mi.map.offset += mi.map.start - sm.map.start;
    }
    const bool own_binary =
        !info.exe.empty() && !sm.map.shared && sm.map.path == info.exe;
    mi.category = own_binary ? scan::MappingCategory::kFile
                             : scan::CategorizeMapping(sm, pid, sps);
    mi.smaps = sm.totals;
    scan::AddSmapsTotals(sm.totals, info.smaps_total);
    row_of[i] = info.mappings.size() - 1;
  }
  for (const RawEntry& r : selected) {
    const size_t row = row_of[r.mapping];
    if (row == SIZE_MAX) continue;
    if (!NamedPfn(r.entry) &&
        scan::PmSwapEntryKind(r.entry) == scan::SwapEntryKind::kMarker) {
      ++info.pte_markers;
      continue;
    }
    PageData d;
    const PageData* page = page_data(r.entry, d);
    Account(r.entry, page, info.page_size, info.mappings[row].pages);
    if (request.pages) {
      PageInfo& p = info.pages.emplace_back();
      p.address = r.address;
      p.entry = r.entry;
      p.mapping = row;
      if (page != nullptr) {
        p.has_page = true;
        p.pfn = *NamedPfn(r.entry);
        p.kpageflags = page->flags;
        p.kpagecount = page->count;
      }
    }
  }
  for (MappingInfo& mi : info.mappings) {
    Finish(mi.pages);
    AddFigures(mi.pages, info.total);
  }
  Finish(info.total);
  return info;
}

}  // namespace memstats::inspect
