#include "machine/reconcile.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "scan/parsers.h"

namespace memstats::machine {
namespace {

int64_t Signed(uint64_t v) { return static_cast<int64_t>(v); }

// A meminfo field in bytes (the parser converted kB), 0 when absent.
class Fields {
 public:
  explicit Fields(const Meminfo& m) : m_(m) {}
  int64_t operator[](const char* name) const {
    auto it = m_.find(name);
    return it == m_.end() ? 0 : Signed(it->second);
  }
  bool Has(const char* name) const { return m_.contains(name); }

 private:
  const Meminfo& m_;
};

}  // namespace

ScanSplit SplitFromCatalog(const sets::PageCatalog& pages) {
  ScanSplit s;
  for (uint32_t i = 0; i < pages.size(); ++i) {
    switch (pages.kind(i)) {
      case sets::PageKind::kAnon:
        if (pages.ksm(i)) {
          ++s.anon_ksm;
          s.ksm_references += pages.references(i);
        } else if (pages.mapped_once(i)) {
          ++s.anon_once;
        } else {
          ++s.anon_shared;
        }
        if (pages.anon_in_swap_cache(i)) ++s.anon_swap_cache;
        break;
      case sets::PageKind::kShmem:
        ++s.shmem;
        break;
      case sets::PageKind::kFile:
        ++s.file;
        break;
      case sets::PageKind::kHugetlb:
        ++s.hugetlb;
        break;
      case sets::PageKind::kIgnored:
        break;
    }
  }
  return s;
}

bool StacksInVmalloc(std::string_view vmallocinfo) {
  // Each line: "0xstart-0xend size caller+0xoff/0xlen pages=N vmalloc ...".
  static constexpr const char* kCallers[] = {"alloc_thread_stack_node+",
                                             "dup_task_struct+",
                                             "copy_process+", "kernel_clone+"};
  const absl::string_view text(vmallocinfo.data(), vmallocinfo.size());
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() < 3) continue;
    for (const char* caller : kCallers) {
      if (absl::StartsWith(words[2], caller)) return true;
    }
  }
  return false;
}

absl::StatusOr<SystemView> Reconcile(const Meminfo& meminfo,
                                     const ScanSplit* split,
                                     bool stacks_in_vmalloc,
                                     std::optional<uint64_t> pcp_pages,
                                     uint64_t page_size) {
  for (const char* need :
       {"MemTotal", "MemFree", "AnonPages", "Cached", "Buffers", "Shmem"}) {
    if (!meminfo.contains(need)) {
      return absl::InvalidArgumentError(
          absl::StrCat("meminfo: no ", need, " field"));
    }
  }
  const Fields f(meminfo);
  const ScanSplit none;
  const ScanSplit& s = split ? *split : none;
  const int64_t page = Signed(page_size);
  auto pages = [page](uint64_t n) { return Signed(n) * page; };

  SystemView v;
  v.mem_total = meminfo.at("MemTotal");
  v.mem_free = meminfo.at("MemFree");
  v.used = f["MemTotal"] - f["MemFree"];
  v.page_level = split != nullptr;
  v.stacks_in_vmalloc = stacks_in_vmalloc;
  if (s.ksm_references > s.anon_ksm) {
    v.ksm_saved = (s.ksm_references - s.anon_ksm) * page_size;
  }

  const int64_t anon_seen = pages(s.anon_once + s.anon_shared + s.anon_ksm);
  const int64_t file_cache = f["Cached"] - f["Shmem"];
  Section procs{"processes", "what processes map", {}};
  procs.lines = {
      {"anon_one_process", "anonymous, mapped by one process",
       "AnonPages (scan: kpagecount 1)", pages(s.anon_once)},
      {"anon_shared", "anonymous, shared (copy-on-write after fork)",
       "AnonPages (scan: kpagecount > 1)", pages(s.anon_shared)},
      {"anon_ksm", "anonymous, KSM pages (each once)",
       "AnonPages (scan: KPF_KSM)", pages(s.anon_ksm)},
      {"anon_not_seen", "anonymous, not seen by the scan",
       "AnonPages - scanned", f["AnonPages"] - anon_seen},
      {"shmem_mapped", "shmem/tmpfs/SysV/shared anon, mapped", "Shmem (scan)",
       pages(s.shmem)},
      {"shmem_unmapped", "shmem/tmpfs/SysV, mapped by no process seen",
       "Shmem - mapped", f["Shmem"] - pages(s.shmem)},
      {"file_mapped", "file pages mapped by processes", "Cached - Shmem (scan)",
       pages(s.file)},
  };

  // HugePages_* are counts of default-size huge pages; Hugetlb (since
  // 4.17) is the bytes of every pool of every size.
  const int64_t huge_size = f["Hugepagesize"];
  const int64_t huge_total = f["HugePages_Total"] * huge_size;
  const int64_t huge_free = f["HugePages_Free"] * huge_size;
  const int64_t huge_rsvd = f["HugePages_Rsvd"] * huge_size;
  const int64_t huge_in_use = huge_total - huge_free;
  Section huge{"hugetlb", "hugetlb pools", {}};
  huge.lines = {
      {"hugetlb_mapped", "in use, mapped by processes",
       "HugePages_Total - HugePages_Free (scan)", pages(s.hugetlb)},
      {"hugetlb_unmapped", "in use, mapped by no process seen",
       "HugePages_Total - HugePages_Free - mapped",
       huge_in_use - pages(s.hugetlb)},
      {"hugetlb_reserved", "reserved, not yet faulted in", "HugePages_Rsvd",
       huge_rsvd},
      {"hugetlb_free", "free, not reserved", "HugePages_Free - HugePages_Rsvd",
       huge_free - huge_rsvd},
      {"hugetlb_other_sizes", "pools of other huge page sizes",
       "Hugetlb - HugePages_Total",
       f.Has("Hugetlb") ? f["Hugetlb"] - huge_total : 0},
  };

  const int64_t vmalloc =
      f["VmallocUsed"] - (stacks_in_vmalloc ? f["KernelStack"] : 0);
  Section kernel{"kernel", "what the kernel holds", {}};
  kernel.lines = {
      {"file_unmapped", "page cache, unmapped", "Cached - Shmem - mapped",
       file_cache - pages(s.file)},
      {"buffers", "buffers (block device cache)", "Buffers", f["Buffers"]},
      {"swap_cache", "swap cache, not mapped as anonymous",
       "SwapCached - mapped (scan)",
       f["SwapCached"] - pages(s.anon_swap_cache)},
      {"page_tables", "page tables", "PageTables", f["PageTables"]},
      {"sec_page_tables", "secondary page tables (KVM, IOMMU)", "SecPageTables",
       f["SecPageTables"]},
      {"slab_reclaimable", "slab, reclaimable", "SReclaimable",
       f["SReclaimable"]},
      {"slab_unreclaimable", "slab, unreclaimable", "SUnreclaim",
       f["SUnreclaim"]},
      {"kernel_reclaimable_other", "other reclaimable kernel memory",
       "KReclaimable - SReclaimable",
       f.Has("KReclaimable") ? f["KReclaimable"] - f["SReclaimable"] : 0},
      {"kernel_stacks", "kernel stacks", "KernelStack + ShadowCallStack",
       f["KernelStack"] + f["ShadowCallStack"]},
      {"vmalloc", "vmalloc",
       stacks_in_vmalloc ? "VmallocUsed - KernelStack" : "VmallocUsed",
       vmalloc},
      {"percpu", "per-CPU allocations", "Percpu", f["Percpu"]},
      {"zswap", "zswap compressed pool", "Zswap", f["Zswap"]},
      {"kernel_other", "bounce, FUSE writeback, poisoned, unaccepted",
       "Bounce + WritebackTmp + HardwareCorrupted + Unaccepted",
       f["Bounce"] + f["WritebackTmp"] + f["HardwareCorrupted"] +
           f["Unaccepted"]},
  };

  v.sections = {std::move(procs), std::move(huge), std::move(kernel)};
  int64_t sum = 0;
  for (const Section& sec : v.sections) {
    for (const Line& l : sec.lines) sum += l.bytes;
  }
  v.remainder = v.used - sum;
  if (pcp_pages) {
    v.remainder_pcp_free = pages(*pcp_pages);
    v.remainder_rest = v.remainder - *v.remainder_pcp_free;
  }

  if (!v.page_level) {
    v.notes.emplace_back(
        "no page-level scan: the 'not seen by the scan' and 'mapped by no "
        "process seen' lines hold the whole fields");
  }
  if (stacks_in_vmalloc) {
    v.notes.emplace_back(
        "kernel stacks are vmalloc'ed (vmallocinfo): vmalloc is VmallocUsed "
        "- KernelStack");
  }
  if (v.remainder < 0) {
    v.notes.emplace_back(
        "the remainder is negative: some counters overlap or changed "
        "between the scan and the meminfo read");
  }
  return v;
}

absl::StatusOr<SystemView> BuildSystemView(scan::ProcSource& source,
                                           const sets::PageCatalog* pages) {
  auto text = source.ReadSystemFile("meminfo");
  if (!text.ok()) return text.status();  // the message names the file
  auto meminfo = scan::ParseMeminfo(*text);
  if (!meminfo.ok()) return meminfo.status();
  auto vmallocinfo = source.ReadSystemFile("vmallocinfo");
  const bool stacks = vmallocinfo.ok() && StacksInVmalloc(*vmallocinfo);
  std::optional<uint64_t> pcp;
  if (auto zoneinfo = source.ReadSystemFile("zoneinfo"); zoneinfo.ok()) {
    auto parsed = scan::ParseZoneinfoPcpPages(*zoneinfo);
    if (!parsed.ok()) return parsed.status();
    pcp = *parsed;
  }
  ScanSplit split;
  if (pages) split = SplitFromCatalog(*pages);
  return Reconcile(*meminfo, pages ? &split : nullptr, stacks, pcp,
                   source.PageSize());
}

}  // namespace memstats::machine
