// /proc files the live tests read themselves, independently of memstats's
// parsers: whole files, smaps per mapping, and smaps_rollup.
#ifndef MEMSTATS_TESTS_E2E_PROC_FILES_H_
#define MEMSTATS_TESTS_E2E_PROC_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace memstats::testing {

// The whole file ("" when it cannot be read).
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One mapping of /proc/PID/smaps: its range, permissions, path, the "kB"
// fields in bytes, and VmFlags.
struct SmapsMapping {
  uint64_t start = 0, end = 0;
  std::string perms, path, vm_flags;
  std::map<std::string, int64_t> bytes;  // "Rss", "Anonymous", ...
  int64_t operator[](const std::string& key) const {
    auto it = bytes.find(key);
    return it == bytes.end() ? 0 : it->second;
  }
};

inline std::vector<SmapsMapping> ReadSmaps(pid_t pid) {
  std::vector<SmapsMapping> out;
  std::istringstream in(
      ReadWholeFile("/proc/" + std::to_string(pid) + "/smaps"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string first;
    f >> first;
    if (first.empty()) continue;
    if (first.back() != ':') {  // "start-end perms offset dev inode path"
      SmapsMapping m;
      const size_t dash = first.find('-');
      m.start = std::stoull(first.substr(0, dash), nullptr, 16);
      m.end = std::stoull(first.substr(dash + 1), nullptr, 16);
      std::string offset, dev, inode;
      f >> m.perms >> offset >> dev >> inode;
      std::getline(f >> std::ws, m.path);
      out.push_back(m);
    } else if (first == "VmFlags:" && !out.empty()) {
      std::getline(f >> std::ws, out.back().vm_flags);
    } else if (!out.empty()) {
      int64_t v = 0;
      std::string unit;
      if (f >> v >> unit && unit == "kB")
        out.back().bytes[first.substr(0, first.size() - 1)] = v * 1024;
    }
  }
  return out;
}

// smaps_rollup, "kB" fields in bytes, keys without the colon.
inline std::map<std::string, int64_t> ReadRollup(pid_t pid) {
  std::map<std::string, int64_t> out;
  std::istringstream in(
      ReadWholeFile("/proc/" + std::to_string(pid) + "/smaps_rollup"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key, unit;
    int64_t v = 0;
    if (f >> key >> v >> unit && unit == "kB" && key.back() == ':')
      out[key.substr(0, key.size() - 1)] = v * 1024;
  }
  return out;
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_E2E_PROC_FILES_H_
