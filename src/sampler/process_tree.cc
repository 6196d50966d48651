#include "sampler/process_tree.h"

namespace memstats::sampler {

ProcessTree::ProcessTree(const std::vector<int>& roots, bool descendants)
    : members_(roots.begin(), roots.end()),
      descendants_(descendants) {}

bool ProcessTree::Contains(int pid, const scan::ParentMap& parents) const {
  if (members_.contains(pid)) return true;
  if (!descendants_) return false;
  // The chain ends at pid 0 (init's parent) or at a pid no longer listed;
  // the step bound guards against a cycle in a racy or fabricated listing.
  int p = pid;
  for (int steps = 0; steps < 4096; ++steps) {
    auto it = parents.find(p);
    if (it == parents.end() || it->second <= 0 || it->second == p) {
      return false;
    }
    p = it->second;
    if (members_.contains(p)) return true;
  }
  return false;
}

void ProcessTree::Remember(const std::vector<int>& found) {
  // A root that exited is forgotten too: a new process given its pid is
  // not the one asked for.
  members_.clear();
  members_.insert(found.begin(), found.end());
  gone_ = found.empty();
}

}  // namespace memstats::sampler
