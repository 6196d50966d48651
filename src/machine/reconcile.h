// The whole machine's memory, reconciled: MemTotal − MemFree split into
// parts that add up to it exactly (memstats system).
//
// Every line is one of three things, so that no number is guessed:
//  - a /proc/meminfo field, or a difference of fields that the kernel
//    counts as nested (Cached − Shmem, KReclaimable − SReclaimable);
//  - a subdivision of a meminfo field by memstats's page-level scan
//    (AnonPages into pages mapped once, mapped more than once and KSM
//    pages), always with a line "field − the scanned parts" beside it, so
//    that the field is whole however much the scan saw; or
//  - the remainder: used − every other line, labelled as what the kernel's
//    counters do not explain. It can be negative when counters overlap.
// README.md ("memstats system") says which fields make each line and why
// they do not overlap.
//
// Pure functions over parsed inputs, plus BuildSystemView, which reads
// meminfo and vmallocinfo through a ProcSource. Thread-compatible.
#ifndef MEMSTATS_MACHINE_RECONCILE_H_
#define MEMSTATS_MACHINE_RECONCILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "scan/proc_source.h"
#include "sets/page_catalog.h"

namespace memstats::machine {

// Distinct pages of one page-level scan, by what splits meminfo fields.
struct ScanSplit {
  uint64_t anon_once = 0;    // anonymous, not KSM, kpagecount 1
  uint64_t anon_shared = 0;  // anonymous, not KSM, kpagecount above 1
  uint64_t anon_ksm = 0;     // KSM pages, each once
  // Page-table entries to the KSM pages that the scan saw.
  uint64_t ksm_references = 0;
  // Anonymous pages (of the three kinds above) also in the swap cache.
  uint64_t anon_swap_cache = 0;
  uint64_t shmem = 0;
  uint64_t file = 0;
  uint64_t hugetlb = 0;  // base pages of hugetlb pages
};
ScanSplit SplitFromCatalog(const sets::PageCatalog& pages);

struct Line {
  std::string key;     // JSON name, "anon_one_process"
  std::string label;   // "anonymous, mapped by one process"
  std::string source;  // the fields it is made of: "AnonPages (scan)"
  int64_t bytes = 0;   // "field − scanned" lines may be negative
};

struct Section {
  std::string key;    // "processes", "hugetlb", "kernel"
  std::string title;  // "what processes map"
  std::vector<Line> lines;
};

struct SystemView {
  uint64_t mem_total = 0;
  uint64_t mem_free = 0;
  int64_t used = 0;  // MemTotal − MemFree
  std::vector<Section> sections;
  // used − the sum of every line: the parts and this add up to `used`.
  int64_t remainder = 0;
  // Free pages on the per-CPU lists (/proc/zoneinfo pagesets "count"):
  // MemFree leaves them out, and no meminfo field holds them, so they are
  // in the remainder. Shown as part of it, and the rest beside: nullopt
  // when zoneinfo cannot be read.
  std::optional<int64_t> remainder_pcp_free;
  std::optional<int64_t> remainder_rest;
  // False when the scan could not split fields by page (PFNs hidden): the
  // "not seen by the scan" lines then hold the whole fields.
  bool page_level = false;
  // What KSM saves: page-table entries to KSM pages minus distinct KSM
  // pages, times the page size. Memory not used, so not one of the parts.
  uint64_t ksm_saved = 0;
  // Kernel stacks are vmalloc'ed (CONFIG_VMAP_STACK): the vmalloc line is
  // VmallocUsed − KernelStack.
  bool stacks_in_vmalloc = false;
  // Sentences about how the lines were made (see Reconcile).
  std::vector<std::string> notes;
};

using Meminfo = absl::flat_hash_map<std::string, uint64_t>;

// Whether /proc/vmallocinfo shows kernel stacks among vmalloc's areas:
// an area whose caller is the stack allocator (alloc_thread_stack_node,
// or the functions it is inlined into: dup_task_struct, copy_process,
// kernel_clone).
bool StacksInVmalloc(std::string_view vmallocinfo);

// The reconciliation. `split` may be null (no page-level scan);
// `pcp_pages` (pages on the per-CPU free lists) may be unknown. Fails with
// InvalidArgument naming the first missing field of MemTotal, MemFree,
// AnonPages, Cached, Buffers, Shmem; other fields count as 0 when absent
// (older kernels lack SecPageTables, Percpu, Zswap, Hugetlb...).
absl::StatusOr<SystemView> Reconcile(const Meminfo& meminfo,
                                     const ScanSplit* split,
                                     bool stacks_in_vmalloc,
                                     std::optional<uint64_t> pcp_pages,
                                     uint64_t page_size);

// Reads meminfo (required), vmallocinfo (optional: unreadable means
// stacks are not known to be vmalloc'ed) and zoneinfo (optional; fails
// when present but malformed) through `source`, and reconciles
// with `pages` (may be null). Errors name the file.
absl::StatusOr<SystemView> BuildSystemView(scan::ProcSource& source,
                                           const sets::PageCatalog* pages);

}  // namespace memstats::machine

#endif  // MEMSTATS_MACHINE_RECONCILE_H_
