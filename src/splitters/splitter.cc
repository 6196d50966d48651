#include "splitters/splitter.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "scan/exe_name.h"
#include "scan/proc_source.h"

namespace memstats::splitters {
namespace {

class SingleSplitter : public Splitter {
 public:
  std::string name() const override { return "single"; }
  std::string KeyOf(const scan::ProcessIdentity&,
                    const scan::ParentMap&) const override {
    return "all";
  }
  uint8_t IdentityFiles() const override { return 0; }
};

class UidSplitter : public Splitter {
 public:
  std::string name() const override { return "uid"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return absl::StrCat(p.uid);
  }
  uint8_t IdentityFiles() const override { return 0; }
};

class UserSplitter : public Splitter {
 public:
  explicit UserSplitter(UidNamer namer) : namer_(std::move(namer)) {}
  std::string name() const override { return "user"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    std::optional<std::string> n = namer_(p.uid);
    return n ? *n : absl::StrCat(p.uid);
  }
  uint8_t IdentityFiles() const override { return 0; }

 private:
  UidNamer namer_;
};

class EnvSplitter : public Splitter {
 public:
  explicit EnvSplitter(std::string key) : key_(std::move(key)) {}
  std::string name() const override { return absl::StrCat("env:", key_); }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    auto it = p.env.find(key_);
    return it == p.env.end() ? kUnset : it->second;
  }
  absl::flat_hash_set<std::string> EnvKeys() const override { return {key_}; }
  uint8_t IdentityFiles() const override { return 0; }

 private:
  std::string key_;
};

class CommSplitter : public Splitter {
 public:
  std::string name() const override { return "comm"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return p.comm;
  }
  uint8_t IdentityFiles() const override { return 0; }
};

class ExeSplitter : public Splitter {
 public:
  std::string name() const override { return "exe"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return p.exe.empty() ? "(unknown)"
                         : scan::ExeDisplayName(p.exe, p.cmdline);
  }
  uint8_t IdentityFiles() const override {
    return scan::kIdExe | scan::kIdCmdline;
  }
};

class CgroupSplitter : public Splitter {
 public:
  std::string name() const override { return "cgroup"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return p.cgroup.empty() ? "(unknown)" : p.cgroup;
  }
  uint8_t IdentityFiles() const override { return scan::kIdCgroup; }
};

class PidsSplitter : public Splitter {
 public:
  explicit PidsSplitter(std::vector<int> pids) : pids_(std::move(pids)) {}
  std::string name() const override { return "pids"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap&) const override {
    return std::find(pids_.begin(), pids_.end(), p.pid) != pids_.end()
               ? absl::StrCat(p.pid)
               : kOther;
  }
  uint8_t IdentityFiles() const override { return 0; }
  std::vector<std::string> DeclaredKeys() const override {
    std::vector<std::string> keys;
    for (int pid : pids_) keys.push_back(absl::StrCat(pid));
    keys.emplace_back(kOther);
    return keys;
  }

 private:
  std::vector<int> pids_;
};

class CustomSplitter : public Splitter {
 public:
  explicit CustomSplitter(std::vector<filters::Filter> fs)
      : filters_(std::move(fs)) {}
  std::string name() const override { return "custom"; }
  std::string KeyOf(const scan::ProcessIdentity& p,
                    const scan::ParentMap& parents) const override {
    for (const filters::Filter& f : filters_) {
      if (f.Matches(p, parents)) return f.text();
    }
    return kOther;
  }
  absl::flat_hash_set<std::string> EnvKeys() const override {
    absl::flat_hash_set<std::string> keys;
    for (const auto& f : filters_) {
      for (const auto& k : f.EnvKeys()) keys.insert(k);
    }
    return keys;
  }
  uint8_t IdentityFiles() const override {
    uint8_t files = 0;
    for (const auto& f : filters_) files |= f.IdentityFiles();
    return files;
  }
  std::vector<std::string> DeclaredKeys() const override {
    std::vector<std::string> keys;
    for (const auto& f : filters_) keys.push_back(f.text());
    keys.emplace_back(kOther);
    return keys;
  }

 private:
  std::vector<filters::Filter> filters_;
};

}  // namespace

UidNamer SystemUidNamer() {
  return [](uint32_t uid) { return scan::SystemUserName(uid); };
}

UidNamer SourceUidNamer(const scan::ProcSource& source) {
  return [&source](uint32_t uid) { return source.UserName(uid); };
}

std::unique_ptr<Splitter> NewSingleSplitter() {
  return std::make_unique<SingleSplitter>();
}
std::unique_ptr<Splitter> NewUidSplitter() {
  return std::make_unique<UidSplitter>();
}
std::unique_ptr<Splitter> NewUserSplitter(UidNamer namer) {
  return std::make_unique<UserSplitter>(std::move(namer));
}
std::unique_ptr<Splitter> NewEnvSplitter(std::string key) {
  return std::make_unique<EnvSplitter>(std::move(key));
}
std::unique_ptr<Splitter> NewCommSplitter() {
  return std::make_unique<CommSplitter>();
}
std::unique_ptr<Splitter> NewExeSplitter() {
  return std::make_unique<ExeSplitter>();
}
std::unique_ptr<Splitter> NewCgroupSplitter() {
  return std::make_unique<CgroupSplitter>();
}
std::unique_ptr<Splitter> NewPidsSplitter(std::vector<int> pids) {
  return std::make_unique<PidsSplitter>(std::move(pids));
}
std::unique_ptr<Splitter> NewCustomSplitter(std::vector<filters::Filter> fs) {
  return std::make_unique<CustomSplitter>(std::move(fs));
}

sets::Grouping Split(const Splitter& s, const std::vector<scan::ProcessRecord>& recs,
               const scan::ParentMap& parents) {
  sets::Grouping g;
  g.splitter = s.name();
  absl::flat_hash_map<std::string, uint32_t> ids;
  // Declared keys first, so custom filters keep their order in ties.
  for (const std::string& k : s.DeclaredKeys()) {
    ids.emplace(k, static_cast<uint32_t>(g.names.size()));
    g.names.push_back(k);
  }
  g.group_of.reserve(recs.size());
  for (const auto& r : recs) {
    std::string key = s.KeyOf(r.id, parents);
    auto [it, inserted] =
        ids.emplace(std::move(key), static_cast<uint32_t>(g.names.size()));
    if (inserted) g.names.push_back(it->first);
    g.group_of.push_back(it->second);
  }
  return g;
}

}  // namespace memstats::splitters
