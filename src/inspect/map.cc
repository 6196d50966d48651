#include "inspect/map.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "scan/pagemap.h"
#include "scan/scanner.h"
#include "sets/accounting.h"

namespace memstats::inspect {

// Hilbert's curve, iteratively (the classic d2xy): two bits of d per level,
// from the smallest square up, rotating the point so far into the quadrant.
Point HilbertPoint(int order, uint64_t d) {
  uint64_t x = 0;
  uint64_t y = 0;
  uint64_t t = d;
  for (uint64_t s = 1; s < (uint64_t{1} << order); s *= 2) {
    const uint64_t rx = 1 & (t / 2);
    const uint64_t ry = 1 & (t ^ rx);
    if (ry == 0) {
      if (rx == 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
    x += s * rx;
    y += s * ry;
    t /= 4;
  }
  return {static_cast<uint32_t>(x), static_cast<uint32_t>(y)};
}

MapLayout LayoutFor(uint64_t pixels) {
  MapLayout l;
  l.pixels = std::max<uint64_t>(pixels, 1);
  while (l.order < 16 && (uint64_t{1} << (2 * (l.order + 1))) <= l.pixels) {
    ++l.order;
  }
  const uint64_t per_square = uint64_t{1} << (2 * l.order);
  l.squares = static_cast<uint32_t>((l.pixels + per_square - 1) / per_square);
  l.height = uint32_t{1} << l.order;
  l.width = l.squares << l.order;
  return l;
}

Point PixelAt(const MapLayout& layout, uint64_t d) {
  const uint64_t per_square = uint64_t{1} << (2 * layout.order);
  Point p = HilbertPoint(layout.order, d % per_square);
  p.x += static_cast<uint32_t>(d / per_square) << layout.order;
  return p;
}

const char* ClassKindName(ClassKind kind) {
  switch (kind) {
    case ClassKind::kGroup: return "group";
    case ClassKind::kShared: return "shared";
    case ClassKind::kPageCache: return "page-cache";
    case ClassKind::kOtherProcesses: return "other-processes";
    case ClassKind::kKernel: return "kernel";
    case ClassKind::kNoFlags: return "no-flags";
    case ClassKind::kFree: return "free";
    case ClassKind::kHole: return "hole";
  }
  return "?";
}

namespace {

// The classes after the groups, in legend order, with their colours.
struct FixedClass {
  const char* name;
  ClassKind kind;
  Rgb colour;
};
constexpr FixedClass kFixed[] = {
    {"shared between groups", ClassKind::kShared, {255, 0, 255}},
    {"page cache, not mapped", ClassKind::kPageCache, {255, 236, 139}},
    {"mapped by processes not scanned", ClassKind::kOtherProcesses, {0, 95, 95}},
    {"kernel and other", ClassKind::kKernel, {150, 150, 150}},
    {"no page flags (uninitialised or raw)", ClassKind::kNoFlags, {48, 48, 48}},
    {"free (buddy)", ClassKind::kFree, {0, 0, 0}},
    {"not RAM (hole)", ClassKind::kHole, {70, 70, 110}},
};
constexpr size_t kNumFixed = std::size(kFixed);
// Their positions in kFixed.
constexpr size_t kSharedIdx = 0, kPageCacheIdx = 1, kOtherIdx = 2,
                 kKernelIdx = 3, kNoFlagsIdx = 4, kFreeIdx = 5, kHoleIdx = 6;
// Class indices are uint16_t, kBackgroundClass excluded.
constexpr size_t kMaxGroups = 65000;

// Tableau's ten: distinct at a glance, and none of them a fixed class's.
constexpr Rgb kGroupPalette[] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
    {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {188, 189, 34},
    {23, 190, 207}, {174, 199, 232},
};

Rgb FromHsv(double h, double s, double v) {
  const double c = v * s;
  const double hp = h * 6;
  const double x = c * (1 - std::fabs(std::fmod(hp, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(hp) % 6) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  const double m = v - c;
  auto byte = [m](double u) {
    return static_cast<uint8_t>(std::lround((u + m) * 255));
  };
  return {byte(r), byte(g), byte(b)};
}

uint32_t Packed(Rgb c) { return (c.r << 16) | (c.g << 8) | c.b; }

// Counts a pixel's pages by class; few classes per pixel, so a short list.
class Majority {
 public:
  void Add(uint16_t cls) {
    for (auto& [c, n] : counts_) {
      if (c == cls) {
        ++n;
        return;
      }
    }
    counts_.emplace_back(cls, 1);
  }
  // The class with the most pages; on a tie the lowest index (first in
  // legend order). Clears the counts.
  uint16_t TakeWinner() {
    uint16_t best = kBackgroundClass;
    uint64_t best_n = 0;
    for (const auto& [c, n] : counts_) {
      if (n > best_n || (n == best_n && c < best)) {
        best = c;
        best_n = n;
      }
    }
    counts_.clear();
    return best;
  }

 private:
  std::vector<std::pair<uint16_t, uint64_t>> counts_;
};

// kpageflags of an unreferenced PFN -> fixed class (offset after the
// groups).
size_t FixedOf(uint64_t flags) {
  constexpr int kKpfLru = 5;
  constexpr int kKpfBuddy = 10;
  constexpr int kKpfMmap = 11;
  if (flags == 0) return kNoFlagsIdx;
  if (scan::KpfHas(flags, scan::kKpfNoPage)) return kHoleIdx;
  if (scan::KpfHas(flags, kKpfBuddy)) return kFreeIdx;
  if (scan::KpfHas(flags, kKpfMmap)) return kOtherIdx;
  if (scan::KpfHas(flags, kKpfLru) && !scan::KpfHas(flags, scan::kKpfAnon)) {
    return kPageCacheIdx;
  }
  return kKernelIdx;
}

}  // namespace

std::vector<Rgb> ClassColours(size_t groups) {
  std::vector<Rgb> out;
  out.reserve(groups + kNumFixed);
  absl::flat_hash_set<uint32_t> used = {Packed(kBackground)};
  for (const FixedClass& f : kFixed) used.insert(Packed(f.colour));
  double hue = 0.11;
  for (size_t g = 0; g < groups; ++g) {
    if (g < std::size(kGroupPalette)) {
      out.push_back(kGroupPalette[g]);
      used.insert(Packed(kGroupPalette[g]));
      continue;
    }
    // Golden-ratio steps around the hue circle, saturation and value
    // cycling so that neighbours in the legend differ in more than hue.
    Rgb c;
    size_t step = 0;
    do {
      hue = std::fmod(hue + 0.6180339887498949, 1.0);
      const size_t k = g + step++;
      c = FromHsv(hue, 0.45 + 0.25 * static_cast<double>(k % 3),
                  0.95 - 0.2 * static_cast<double>((k / 3) % 3));
    } while (!used.insert(Packed(c)).second);
    out.push_back(c);
  }
  for (const FixedClass& f : kFixed) out.push_back(f.colour);
  return out;
}

absl::StatusOr<PhysMap> BuildPhysMap(scan::ProcSource& source,
                                     const sets::PageCatalog& catalog,
                                     const std::vector<uint32_t>& owners,
                                     const std::vector<MapGroup>& groups,
                                     uint64_t scale) {
  if (scale < 1 || scale > kMaxScale) {
    return absl::InvalidArgumentError(
        absl::StrCat("scale ", scale, " is outside 1..", kMaxScale));
  }
  if (groups.size() > kMaxGroups) {
    return absl::InvalidArgumentError(absl::StrCat(
        groups.size(), " groups: a map can colour at most ", kMaxGroups));
  }
  // Legend order of the groups: most pages first, then by name.
  std::vector<uint64_t> group_pages(groups.size(), 0);
  for (uint32_t i = 0; i < catalog.size(); ++i) {
    if (owners[i] != sets::kSharedPage &&
        catalog.kind(i) != sets::PageKind::kIgnored) {
      ++group_pages[owners[i]];
    }
  }
  std::vector<uint32_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (group_pages[a] != group_pages[b]) {
      return group_pages[a] > group_pages[b];
    }
    return groups[a].name < groups[b].name;
  });
  std::vector<uint16_t> class_of_group(groups.size());
  const size_t num_groups = groups.size();
  const std::vector<Rgb> colours = ClassColours(num_groups);
  PhysMap map;
  map.scale = scale;
  for (uint32_t k = 0; k < order.size(); ++k) {
    class_of_group[order[k]] = static_cast<uint16_t>(k);
    map.classes.push_back(
        {ClassKind::kGroup, groups[order[k]].name, colours[k], 0, 0});
  }
  for (size_t f = 0; f < kNumFixed; ++f) {
    map.classes.push_back(
        {kFixed[f].kind, kFixed[f].name, colours[num_groups + f], 0, 0});
  }
  const auto fixed = [num_groups](size_t f) {
    return static_cast<uint16_t>(num_groups + f);
  };

  std::vector<scan::PfnRange> ram = scan::RamPfnRanges(source);
  if (ram.empty()) ram.push_back({0, scan::PfnLimit(source)});
  map.end_pfn = ram.back().end;
  map.layout = LayoutFor((map.end_pfn + scale - 1) / scale);
  map.raster.assign(uint64_t{map.layout.width} * map.layout.height,
                    kBackgroundClass);

  Majority majority;
  uint64_t pixel = 0;
  const auto add_page = [&](uint64_t pfn, uint16_t cls) {
    ++map.classes[cls].pages;
    majority.Add(cls);
    if ((pfn + 1) % scale == 0 || pfn + 1 == map.end_pfn) {
      const uint16_t winner = majority.TakeWinner();
      ++map.classes[winner].pixels;
      const Point p = PixelAt(map.layout, pixel++);
      map.raster[uint64_t{p.y} * map.layout.width + p.x] = winner;
    }
  };
  constexpr uint64_t kChunk = 1 << 16;  // 512 KiB of kpageflags
  std::vector<uint64_t> flags(kChunk);
  uint64_t pfn = 0;
  for (const scan::PfnRange& range : ram) {
    for (; pfn < range.first; ++pfn) add_page(pfn, fixed(kHoleIdx));
    while (pfn < range.end) {
      const uint64_t n = std::min(kChunk, range.end - pfn);
      std::span<uint64_t> chunk(flags.data(), n);
      if (absl::Status s = source.ReadKpageflags(pfn, chunk); !s.ok()) {
        return s;
      }
      for (uint64_t k = 0; k < n; ++k, ++pfn) {
        uint16_t cls;
        if (catalog.Contains(pfn)) {
          const uint32_t i = catalog.IndexOf(pfn);
          if (catalog.kind(i) == sets::PageKind::kIgnored) {
            // The zero page (or a PFN the kernel says has no page).
            cls = fixed(FixedOf(chunk[k]) == kHoleIdx ? kHoleIdx : kKernelIdx);
          } else if (owners[i] == sets::kSharedPage) {
            cls = fixed(kSharedIdx);
          } else {
            cls = class_of_group[owners[i]];
          }
        } else {
          cls = fixed(FixedOf(chunk[k]));
        }
        add_page(pfn, cls);
      }
    }
  }

  // The strip: columns in proportion to pages (rounded down), at least one
  // for every class that has pages; the widest class absorbs the rounding.
  const uint32_t width = map.layout.width;
  std::vector<uint64_t> cols(map.classes.size(), 0);
  uint64_t given = 0;
  for (size_t c = 0; c < map.classes.size(); ++c) {
    const uint64_t pages = map.classes[c].pages;
    if (pages == 0) continue;
    cols[c] = std::max<uint64_t>(
        1, static_cast<uint64_t>(static_cast<double>(pages) * width /
                                 static_cast<double>(map.end_pfn)));
    given += cols[c];
  }
  // Rounding: take from or give to the widest class.
  const size_t widest = static_cast<size_t>(
      std::max_element(cols.begin(), cols.end()) - cols.begin());
  if (given > width) {
    cols[widest] -= std::min(cols[widest] - 1, given - width);
  } else {
    cols[widest] += width - given;
  }
  for (size_t c = 0; c < cols.size() && map.strip.size() < width; ++c) {
    for (uint64_t k = 0; k < cols[c] && map.strip.size() < width; ++k) {
      map.strip.push_back(static_cast<uint16_t>(c));
    }
  }
  map.strip.resize(width, kBackgroundClass);
  return map;
}

}  // namespace memstats::inspect
