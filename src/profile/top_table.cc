#include "profile/top_table.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace memstats::profile {
namespace {

using scan::MappingCategory;

constexpr std::array<std::pair<TopColumn, std::string_view>, 11> kNames = {{
    {TopColumn::kPswap, "pswap"},
    {TopColumn::kShSysv, "shSYSV"},
    {TopColumn::kShOth, "shOth"},
    {TopColumn::kStack, "stack"},
    {TopColumn::kText, "text"},
    {TopColumn::kData, "data"},
    {TopColumn::kAnon, "anon"},
    {TopColumn::kHugetlb, "hugetlb"},
    {TopColumn::kPtotal, "ptotal"},
    {TopColumn::kPss, "pss"},
    {TopColumn::kCount, "count"},
}};

// The ptotal column a usage row's Pss belongs to.
uint64_t* PssColumn(const scan::UsageRow& r, TopFigures& f) {
  const bool writable = r.perms & scan::kPermWrite;
  const bool shared = r.perms & scan::kPermShared;
  switch (r.category) {
    case MappingCategory::kHeap:
      return &f.data;
    case MappingCategory::kStack:
    case MappingCategory::kThreadStack:
      return &f.stack;
    case MappingCategory::kAnon:
      return &f.anon;
    case MappingCategory::kSysv:
      return &f.shsysv;
    case MappingCategory::kShmem:
      return &f.shoth;
    case MappingCategory::kSpecial:
      return &f.text;
    case MappingCategory::kFile:
      if (!writable) return &f.text;
      return shared ? &f.shoth : &f.data;
    case MappingCategory::kHugetlb:
      // The kernel counts hugetlb pages in no Pss, so this is 0; should a
      // kernel ever count some, they still land in a ptotal column.
      return shared ? &f.shoth : &f.anon;
  }
  return &f.anon;
}

}  // namespace

std::string_view TopColumnName(TopColumn c) {
  for (const auto& [col, name] : kNames) {
    if (col == c) return name;
  }
  return "?";
}

std::optional<TopColumn> ParseTopColumn(std::string_view name) {
  for (const auto& [col, n] : kNames) {
    if (n == name) return col;
  }
  return std::nullopt;
}

std::vector<TopColumn> DefaultTopColumns() {
  return {TopColumn::kPswap, TopColumn::kShSysv, TopColumn::kShOth,
          TopColumn::kStack, TopColumn::kText,   TopColumn::kData,
          TopColumn::kAnon,  TopColumn::kPtotal, TopColumn::kCount};
}

uint64_t TopFigures::Get(TopColumn c) const {
  switch (c) {
    case TopColumn::kPswap:
      return pswap;
    case TopColumn::kShSysv:
      return shsysv;
    case TopColumn::kShOth:
      return shoth;
    case TopColumn::kStack:
      return stack;
    case TopColumn::kText:
      return text;
    case TopColumn::kData:
      return data;
    case TopColumn::kAnon:
      return anon;
    case TopColumn::kHugetlb:
      return hugetlb;
    case TopColumn::kPtotal:
      return ptotal;
    case TopColumn::kPss:
      return pss;
    case TopColumn::kCount:
      break;
  }
  return 0;
}

void TopFigures::Add(const TopFigures& o) {
  pswap += o.pswap;
  shsysv += o.shsysv;
  shoth += o.shoth;
  stack += o.stack;
  text += o.text;
  data += o.data;
  anon += o.anon;
  hugetlb += o.hugetlb;
  ptotal += o.ptotal;
  pss += o.pss;
}

TopFigures ProcessFigures(const scan::ProcessRecord& rec) {
  TopFigures f;
  for (const scan::UsageRow& r : rec.usage) {
    *PssColumn(r, f) += r.pss;
    f.pswap += r.swap_pss;
    f.hugetlb += r.hugetlb;
  }
  f.ptotal = f.stack + f.data + f.text + f.anon + f.shsysv + f.shoth;
  f.pss = rec.smaps.pss;
  return f;
}

std::vector<TopGroup> SumGroups(const std::vector<scan::ProcessRecord>& recs,
                                const sets::Grouping& g) {
  std::vector<TopGroup> groups(g.names.size());
  for (size_t i = 0; i < g.names.size(); ++i) groups[i].key = g.names[i];
  for (size_t i = 0; i < recs.size(); ++i) {
    TopGroup& grp = groups[g.group_of[i]];
    const int pid = recs[i].id.pid;
    if (grp.processes == 0 || pid < grp.pid) grp.pid = pid;
    ++grp.processes;
    grp.figures.Add(ProcessFigures(recs[i]));
  }
  std::erase_if(groups, [](const TopGroup& grp) { return grp.processes == 0; });
  return groups;
}

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// Key order: numerically when both are numbers (pids, uids), else bytewise.
bool KeyLess(const std::string& a, const std::string& b) {
  if (AllDigits(a) && AllDigits(b) && a.size() != b.size()) {
    return a.size() < b.size();
  }
  return a < b;
}

}  // namespace

void SortGroups(std::vector<TopGroup>& groups, TopColumn column, bool by_key) {
  auto value = [column](const TopGroup& g) -> uint64_t {
    return column == TopColumn::kCount ? static_cast<uint64_t>(g.processes)
                                       : g.figures.Get(column);
  };
  std::stable_sort(groups.begin(), groups.end(),
                   [&](const TopGroup& a, const TopGroup& b) {
                     if (!by_key) {
                       uint64_t va = value(a), vb = value(b);
                       if (va != vb) return va > vb;
                     }
                     return KeyLess(a.key, b.key);
                   });
}

Folded FoldBelowTopPct(std::vector<TopGroup> groups, double top_pct) {
  Folded out;
  uint64_t whole = 0;
  for (const TopGroup& g : groups) whole += g.figures.ptotal;
  // Largest ptotal first (ties by key) decides who is kept.
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (groups[a].figures.ptotal != groups[b].figures.ptotal) {
      return groups[a].figures.ptotal > groups[b].figures.ptotal;
    }
    return groups[a].key < groups[b].key;
  });
  const long double threshold =
      static_cast<long double>(whole) * top_pct / 100.0L;
  std::vector<bool> keep(groups.size(), false);
  uint64_t before = 0;
  bool kept_any = false;
  for (size_t i : order) {
    if (kept_any && top_pct < 100 &&
        static_cast<long double>(before) >= threshold) {
      break;
    }
    kept_any = true;
    keep[i] = true;
    before += groups[i].figures.ptotal;
  }
  TopGroup others;
  others.key = "others";
  for (size_t i = 0; i < groups.size(); ++i) {
    if (keep[i]) {
      out.kept.push_back(std::move(groups[i]));
      continue;
    }
    TopGroup& g = groups[i];
    if (others.folded_groups == 0 || g.pid < others.pid) others.pid = g.pid;
    ++others.folded_groups;
    others.processes += g.processes;
    others.figures.Add(g.figures);
    if (g.change) others.change = others.change.value_or(0) + *g.change;
  }
  if (others.folded_groups > 0) out.others = std::move(others);
  return out;
}

TopGroup TotalOf(const std::vector<TopGroup>& groups,
                 const std::optional<TopGroup>& others) {
  TopGroup total;
  total.key = "TOTAL";
  auto add = [&total](const TopGroup& g) {
    total.processes += g.processes;
    total.figures.Add(g.figures);
    if (g.change) total.change = total.change.value_or(0) + *g.change;
  };
  for (const TopGroup& g : groups) add(g);
  if (others) add(*others);
  return total;
}

}  // namespace memstats::profile
