// Prints a UsageRow in GoogleTest messages.
#ifndef MEMSTATS_TESTS_SCAN_USAGE_ROW_PRINT_H_
#define MEMSTATS_TESTS_SCAN_USAGE_ROW_PRINT_H_

#include <ostream>

#include "scan/mapping_category.h"

namespace memstats::scan {

inline void PrintTo(const UsageRow& r, std::ostream* os) {
  *os << "{" << MappingCategoryName(r.category) << " \"" << r.path << "\" "
      << FormatPerms(r.perms) << " n=" << r.mappings << " size=" << r.size
      << " rss=" << r.rss << " pss=" << r.pss << " swap=" << r.swap
      << " swap_pss=" << r.swap_pss << " hugetlb=" << r.hugetlb << "}";
}

}  // namespace memstats::scan

#endif  // MEMSTATS_TESTS_SCAN_USAGE_ROW_PRINT_H_
