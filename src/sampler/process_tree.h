// Which processes a sampler follows from one sample to the next.
//
// A ProcessTree follows pids and, with descendants, every process below
// them, found anew at each scan from the ppid the scanner reads for every
// listed process (stat): a child born between two samples is in the next
// one for as long as it lives. A member whose parent exits is reparented
// (to init or a subreaper) and would fall out of the tree by its ppid, so
// the tree remembers its members: once in, a process stays in until it
// exits. (memstats run also makes itself the subreaper of the command, and
// uses the command's cgroup when it has one: there, no process escapes.)
#ifndef MEMSTATS_SAMPLER_PROCESS_TREE_H_
#define MEMSTATS_SAMPLER_PROCESS_TREE_H_

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "scan/scanner.h"

namespace memstats::sampler {

class ProcessTree {
 public:
  ProcessTree(const std::vector<int>& roots, bool descendants);

  // True for a root, a remembered member, or (with descendants) a process
  // whose chain of parents in `parents` reaches one. Thread-safe between
  // two calls of Remember (the scanner calls it from its threads).
  bool Contains(int pid, const scan::ParentMap& parents) const;

  // After a scan: the members are exactly the processes it found alive
  // (`found`, ascending or not); pids that exited are forgotten, so a
  // reused pid is not taken for the member it replaces.
  void Remember(const std::vector<int>& found);

  // True once a scan found none of the tree's processes: what it follows
  // has exited.
  bool gone() const { return gone_; }

 private:
  absl::flat_hash_set<int> members_;
  bool descendants_;
  bool gone_ = false;
};

}  // namespace memstats::sampler

#endif  // MEMSTATS_SAMPLER_PROCESS_TREE_H_
