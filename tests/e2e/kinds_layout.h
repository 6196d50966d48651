// The layouts of memstats_kinds_helper (kinds_helper.cc), shared by the
// helper and kinds_e2e_test.cc so that both use the same sizes. Sizes are in
// 4 KiB pages unless the name says otherwise. What each layout maps, and
// what memstats must report for it, is described in kinds_e2e_test.cc.
#ifndef MEMSTATS_TESTS_E2E_KINDS_LAYOUT_H_
#define MEMSTATS_TESTS_E2E_KINDS_LAYOUT_H_

#include <cstdint>

namespace memstats::kinds {

inline constexpr int64_t kPage = 4096;
inline constexpr int64_t kThpPages = 512;  // one PMD-sized THP (2 MiB)

// thp-pmd, thp-split: one process, kThpCount THPs written whole.
inline constexpr int64_t kThpCount = 4;
// thp-split: in THP 1, page kSplitPage is mprotect'ed read-only; in THP 2,
// page kSplitPage is munmap'ed. THPs 0 and 3 stay PMD-mapped.
inline constexpr int64_t kSplitPage = 256;

// thp-cow: the parent writes kCowThps THPs, forks; the child writes page
// kCowWritePage of THP 0 (one 4 KiB copy), and leaves THP 1 alone.
inline constexpr int64_t kCowThps = 2;
inline constexpr int64_t kCowWritePage = 5;

// shmem-thp: a file of kShmemThpPages on a huge=always tmpfs, written by the
// parent, read by one child.
inline constexpr int64_t kShmemThpPages = 2 * kThpPages;

// file: a regular file of kFilePages on a disk file system. Children:
//   0 (S1) MAP_SHARED, whole file, reads every page;
//   1 (S2) MAP_SHARED, second half only (offset kFilePages / 2), reads all;
//   2 (P1) MAP_PRIVATE, first half, reads all, then writes pages
//          [0, kFileCowPages);
//   3 (P2) MAP_PRIVATE, second half, reads all, then writes file pages
//          [kFilePages / 2, kFilePages / 2 + kFileCowPages).
inline constexpr int64_t kFilePages = 2048;
inline constexpr int64_t kFileCowPages = 64;

// shm: the parent writes a memfd of kMemfdPages (child A reads it); the
// parent fills a /dev/shm file of kDevShmPages (children A and B read it,
// the parent never touches it through its mapping); child A writes its own
// memfd of kOwnMemfdPages.
inline constexpr int64_t kMemfdPages = 512;
inline constexpr int64_t kDevShmPages = 1024;
inline constexpr int64_t kOwnMemfdPages = 256;

// sparse: kSparseGiB of private anonymous address space, one page written
// every kSparseStride pages, plus kSparseDense consecutive pages written
// from page kSparseDenseAt (between two stride pages). Then every other
// stride page and the whole dense stretch are write-protected with
// userfaultfd (WP async), which clears their PAGEMAP_SCAN "written" bit.
inline constexpr int64_t kSparseGiB = 4;
inline constexpr int64_t kSparseStride = 512;
inline constexpr int64_t kSparseTouched =
    (kSparseGiB << 30) / kPage / kSparseStride;
inline constexpr int64_t kSparseDenseAt = 256 * kSparseStride + 128;
inline constexpr int64_t kSparseDense = 256;

// markers: kMarkerPages of private anonymous memory; pages [0, 16)
// written; [16, 32) a guard region (MADV_GUARD_INSTALL); [32, 48)
// write-protected while empty by userfaultfd with WP_UNPOPULATED. Both
// leave PTE markers: swap-type entries in pagemap that are no swap at all.
inline constexpr int64_t kMarkerPages = 48;
inline constexpr int64_t kMarkerWritten = 16;

}  // namespace memstats::kinds

#endif  // MEMSTATS_TESTS_E2E_KINDS_LAYOUT_H_
