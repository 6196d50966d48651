// A picture of physical memory: every PFN of RAM, in PFN order along a
// Hilbert curve (contiguous PFN ranges stay together as compact blobs),
// coloured by who holds the page. This is the model; render/png_map.h
// writes it as a PNG.
//
// Layout: the curve fills `squares` squares of side 2^order placed left to
// right. The standard Hilbert curve of a square starts at its top-left
// corner and ends at its top-right one, so the curve steps from one square
// into the next between neighbouring pixels. The side is the largest power
// of two whose square holds no more than the pixels needed, so there are
// 1 to 4 squares and less than one square is left over (drawn in the
// background colour, which is in no legend class).
//
// Classes, in legend order: the groups of the split, largest first (then
// by name); then kShared (referenced by processes of two or more groups),
// kPageCache (page cache mapped by no process: KPF_LRU without KPF_ANON
// and without KPF_MMAP, tmpfs and shmem included), kOtherProcesses (mapped,
// KPF_MMAP, but by no scanned process: filtered out, unreadable, memstats
// itself, or mapped after the scan), kKernel (everything else: slab, page
// tables, kernel stacks, the zero page, unmapped anonymous pages such as
// swap cache, free hugetlb pages...), kNoFlags (kpageflags reads 0: a
// struct page the kernel has not initialised yet, as with deferred_init=lazy,
// where such pages are free memory; or a page the kernel holds with no flag
// at all, and on kernels before 4.6 the tail pages of a free block),
// kFree (KPF_BUDDY), kHole (a PFN that is not RAM: outside /proc/iomem
// "System RAM", or KPF_NOPAGE).
//
// A page referenced by the scan is classed from the scan (its catalog
// kind and owner), never from a later kpageflags read: pages change while
// memstats runs, and the picture agrees with the accounting.
//
// With scale N, pixel d covers PFNs [d*N, (d+1)*N) and takes the class most
// of its pages have; a tie goes to the class first in legend order.
//
// Memory: two bytes per pixel (the raster), plus one chunk of kpageflags.
#ifndef MEMSTATS_INSPECT_MAP_H_
#define MEMSTATS_INSPECT_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scan/proc_source.h"
#include "sets/page_catalog.h"

namespace memstats::inspect {

struct Point {
  uint32_t x = 0;
  uint32_t y = 0;
};

// The d-th point of the Hilbert curve filling a square of side 2^order,
// starting at (0, 0) and ending at (2^order - 1, 0); y grows downwards.
// REQUIRES: order <= 16, d < 4^order.
Point HilbertPoint(int order, uint64_t d);

struct MapLayout {
  int order = 0;         // each square is 2^order pixels wide and high
  uint32_t squares = 1;  // side by side
  uint32_t width = 1;    // squares << order
  uint32_t height = 1;   // 1 << order
  uint64_t pixels = 0;   // pixels drawn along the curve (the rest: background)
};
// The layout for `pixels` pixels (at least 1).
MapLayout LayoutFor(uint64_t pixels);
// Where pixel d of the curve is. REQUIRES: d < layout.pixels.
Point PixelAt(const MapLayout& layout, uint64_t d);

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

enum class ClassKind {
  kGroup,
  kShared,
  kPageCache,
  kOtherProcesses,
  kKernel,
  kNoFlags,
  kFree,
  kHole,
};
// "group", "shared", "page-cache", "other-processes", "kernel", "no-flags",
// "free", "hole".
const char* ClassKindName(ClassKind kind);

struct MapClass {
  ClassKind kind = ClassKind::kGroup;
  std::string name;    // the group's key, or a description
  Rgb colour;
  uint64_t pages = 0;  // PFNs of this class
  uint64_t pixels = 0; // pixels drawn in its colour (= pages at scale 1)
};

// The colour of legend class `index` when the first `groups` classes are
// groups: a fixed palette of 10 for the first groups, then colours spread
// around the hue circle by the golden ratio, skipping any colour already
// given; the fixed classes have their own colours, unlike any group's.
std::vector<Rgb> ClassColours(size_t groups);
// Pixels past the end of the curve.
inline constexpr Rgb kBackground{255, 255, 255};

struct PhysMap {
  uint64_t end_pfn = 0;  // PFNs [0, end_pfn) are drawn
  uint64_t scale = 1;    // pages per pixel
  MapLayout layout;
  std::vector<MapClass> classes;  // legend order
  // Class index per pixel, row-major, layout.width x layout.height;
  // kBackgroundClass past the curve's end.
  std::vector<uint16_t> raster;
  // The legend strip: one class per column (layout.width of them), each
  // class over a width in proportion to its pages, at least one column for
  // a class that has any (while columns last).
  std::vector<uint16_t> strip;
};
inline constexpr uint16_t kBackgroundClass = 0xffff;

struct MapGroup {
  std::string name;
};

// Largest --scale.
inline constexpr uint64_t kMaxScale = uint64_t{1} << 20;

// Builds the picture. `catalog` holds the pages the scan referenced and
// `owners` their group (sets::Accountant::PageOwners: a group id indexing
// `groups`, or sets::kSharedPage). kpageflags is read through `source` in
// chunks, only over RAM. When iomem shows no RAM (unreadable), the picture
// covers [0, scan::PfnLimit) and holes come from KPF_NOPAGE alone.
// Fails with the source's error, or InvalidArgument for a scale outside
// 1..kMaxScale or more groups than colours (65000).
absl::StatusOr<PhysMap> BuildPhysMap(scan::ProcSource& source,
                                     const sets::PageCatalog& catalog,
                                     const std::vector<uint32_t>& owners,
                                     const std::vector<MapGroup>& groups,
                                     uint64_t scale);

}  // namespace memstats::inspect

#endif  // MEMSTATS_INSPECT_MAP_H_
