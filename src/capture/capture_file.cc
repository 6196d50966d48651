#include "capture/capture_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "capture/byte_codec.h"
#include "capture/page_windows.h"
#include "history/sqlite.h"
#include "scan/huge_page_allocator.h"
#include "scan/parallel.h"
#include "tbb/task_arena.h"

namespace memstats::capture {
namespace {

using history::SqliteDb;
using history::SqliteStmt;

constexpr char kSchema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE blobs(name TEXT PRIMARY KEY, raw_size INTEGER NOT NULL,"
    " data BLOB NOT NULL);";

// A blob decompresses to at most this many times its size plus 1 MiB: a
// corrupt size field cannot make the reader allocate without bound.
constexpr uint64_t kMaxRatio = 4096;

uint64_t Fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ULL;

void PutAnswer(ByteWriter& w, const Answer& a) {
  w.Varint(static_cast<uint64_t>(a.code));
  w.String(a.data);
}
bool GetAnswer(ByteReader& r, Answer& a) {
  uint64_t code = 0;
  if (!r.Varint(code) || code > 16 || !r.String(a.data)) return false;
  a.code = static_cast<absl::StatusCode>(code);
  return true;
}

void PutAnswers(ByteWriter& w, const std::map<std::string, Answer>& m) {
  w.Varint(m.size());
  for (const auto& [key, a] : m) {
    w.String(key);
    PutAnswer(w, a);
  }
}
bool GetAnswers(ByteReader& r, std::map<std::string, Answer>& m) {
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    Answer a;
    if (!r.String(key) || !GetAnswer(r, a)) return false;
    m[std::move(key)] = std::move(a);
  }
  return true;
}

// processes: count, then per process: pid, open answer, answers, and its
// MappedShmemUsage answers.
std::string EncodeProcesses(const CaptureData& d) {
  ByteWriter w;
  w.Varint(d.processes.size());
  for (const auto& [pid, p] : d.processes) {
    w.Varint(static_cast<uint64_t>(pid));
    PutAnswer(w, p.open);
    PutAnswers(w, p.answers);
    w.Varint(p.shmem.size());
    for (const ShmemAnswer& s : p.shmem) {
      for (uint64_t v :
           {s.start, s.end, uint64_t{s.key.major}, uint64_t{s.key.minor},
            s.key.inode, s.usage.size, s.usage.allocated, s.usage.links,
            s.usage.resident, s.usage.swapped}) {
        w.Varint(v);
      }
      PutAnswer(w, s.status);
    }
  }
  return std::move(w.bytes());
}

bool DecodeProcesses(std::string_view bytes, CaptureData& d) {
  ByteReader r(bytes);
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t pid = 0;
    if (!r.Varint(pid) || pid > INT32_MAX) return false;
    CapturedProcess& p = d.processes[static_cast<int>(pid)];
    uint64_t shm = 0;
    if (!GetAnswer(r, p.open) || !GetAnswers(r, p.answers) || !r.Count(shm)) {
      return false;
    }
    for (uint64_t k = 0; k < shm; ++k) {
      ShmemAnswer s;
      uint64_t major = 0, minor = 0;
      for (uint64_t* v : {&s.start, &s.end, &major, &minor, &s.key.inode,
                          &s.usage.size, &s.usage.allocated, &s.usage.links,
                          &s.usage.resident, &s.usage.swapped}) {
        if (!r.Varint(*v)) return false;
      }
      if (major > UINT32_MAX || minor > UINT32_MAX || !GetAnswer(r, s.status)) {
        return false;
      }
      s.key.major = static_cast<uint32_t>(major);
      s.key.minor = static_cast<uint32_t>(minor);
      p.shmem.push_back(std::move(s));
    }
  }
  return r.AtEnd();
}

// pagemap: count, then per process: pid and the length in bytes of the
// rest (so that processes decode side by side): covered ranges as (gap
// from the previous end, length); the present and swapped stretches as
// (gap, length, kind); the windows as (index, less the previous one's,
// byte length); then the windows' runs (page_windows.cc), decoded when a
// replay reads them.
std::string EncodeProcessPagemap(const CapturedProcess& p) {
  ByteWriter w;
  w.Varint(p.covered.size());
  uint64_t at = 0;
  for (const VpnRange& c : p.covered) {
    w.Varint(c.first - at);
    w.Varint(c.end - c.first);
    at = c.end;
  }
  const PageWindows stored =
      p.pagemap.empty() ? PageWindows{} : StoreRuns(p.pagemap);
  const PageWindows& pw = p.pagemap.empty() ? p.page_windows : stored;
  w.Varint(pw.stretches.size());
  at = 0;
  for (const PageStretch& s : pw.stretches) {
    w.Varint(s.first - at);
    w.Varint(s.end - s.first);
    w.Varint(s.kind);
    at = s.end;
  }
  w.Varint(pw.windows.size());
  uint64_t index = 0;
  for (const PageWindows::Window& win : pw.windows) {
    w.Varint(win.index - index);
    w.Varint(win.size);
    index = win.index;
  }
  w.bytes().append(pw.bytes);
  return std::move(w.bytes());
}

std::string EncodePagemap(const CaptureData& d) {
  ByteWriter w;
  w.Varint(d.processes.size());
  for (const auto& [pid, p] : d.processes) {
    w.Varint(static_cast<uint64_t>(pid));
    w.String(EncodeProcessPagemap(p));
  }
  return std::move(w.bytes());
}

// Reads the tables; the windows' runs are checked when a read decodes them.
bool DecodeProcessPagemap(std::string_view bytes,
                          const PageWindows::Storage& storage,
                          CapturedProcess& p) {
  constexpr uint64_t kMaxVpn = uint64_t{1} << 52;
  ByteReader r(bytes);
  uint64_t covered = 0, stretches = 0, windows = 0;
  if (!r.Count(covered)) return false;
  uint64_t at = 0;
  for (uint64_t k = 0; k < covered; ++k) {
    uint64_t gap = 0, len = 0;
    if (!r.Varint(gap) || !r.Varint(len) || gap > ~at - len ||
        at + gap + len < at) {
      return false;
    }
    p.covered.push_back({at + gap, at + gap + len});
    at += gap + len;
  }
  PageWindows& pw = p.page_windows;
  if (!r.Count(stretches)) return false;
  pw.stretches.reserve(stretches);
  at = 0;
  for (uint64_t k = 0; k < stretches; ++k) {
    uint64_t gap = 0, len = 0, kind = 0;
    if (!r.Varint(gap) || !r.Varint(len) || !r.Varint(kind) ||
        gap > kMaxVpn || len > kMaxVpn) {
      return false;
    }
    pw.stretches.push_back({at + gap, at + gap + len, kind});
    at += gap + len;
  }
  if (!r.Count(windows)) return false;
  pw.windows.reserve(windows);
  uint64_t index = 0, offset = 0;
  for (uint64_t k = 0; k < windows; ++k) {
    uint64_t step = 0, size = 0;
    if (!r.Varint(step) || !r.Varint(size) || step > kMaxVpn ||
        size > bytes.size()) {
      return false;
    }
    index += step;
    pw.windows.push_back({index, offset, size});
    offset += size;
  }
  pw.bytes = r.Rest();
  pw.storage = storage;
  return WellFormed(pw);
}

// Each process's part is decoded on its own, side by side on the calling
// thread's oneTBB arena.
bool DecodePagemap(std::string_view bytes, const PageWindows::Storage& storage,
                   CaptureData& d) {
  ByteReader r(bytes);
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  std::vector<std::pair<CapturedProcess*, std::string_view>> parts;
  uint64_t last_pid = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t pid = 0;
    std::string_view part;
    // Ascending pids: no process is decoded twice at once.
    if (!r.Varint(pid) || !r.View(part) || (i > 0 && pid <= last_pid)) {
      return false;
    }
    last_pid = pid;
    auto it = d.processes.find(static_cast<int>(pid));
    if (pid > INT32_MAX || it == d.processes.end()) return false;
    parts.emplace_back(&it->second, part);
  }
  if (!r.AtEnd()) return false;
  std::atomic<bool> ok{true};
  scan::ParallelFor(size_t{0}, parts.size(), [&](size_t i) {
    if (!DecodeProcessPagemap(parts[i].second, storage, *parts[i].first)) {
      ok.store(false, std::memory_order_relaxed);
    }
  });
  return ok.load();
}

// kpages: status answer, count, runs as (gap, count, flags, mapcount).
std::string EncodeKpages(const CaptureData& d) {
  ByteWriter w;
  PutAnswer(w, d.kpage_status);
  w.Varint(d.kpages.size());
  uint64_t at = 0;
  for (const KpageRun& k : d.kpages) {
    w.Varint(k.pfn - at);
    w.Varint(k.count);
    w.Varint(k.flags);
    w.Varint(k.mapcount);
    at = k.pfn + k.count;
  }
  return std::move(w.bytes());
}

bool DecodeKpages(std::string_view bytes, CaptureData& d) {
  ByteReader r(bytes);
  uint64_t n = 0;
  if (!GetAnswer(r, d.kpage_status) || !r.Count(n)) return false;
  d.kpages.reserve(n);
  uint64_t at = 0;
  for (uint64_t i = 0; i < n; ++i) {
    KpageRun k;
    uint64_t gap = 0;
    if (!r.Varint(gap) || !r.Varint(k.count) || !r.Varint(k.flags) ||
        !r.Varint(k.mapcount) || k.count == 0 || gap > (uint64_t{1} << 52) ||
        k.count > (uint64_t{1} << 52)) {
      return false;
    }
    k.pfn = at + gap;
    at = k.pfn + k.count;
    d.kpages.push_back(k);
  }
  return r.AtEnd();
}

std::string EncodeUsers(const CaptureData& d) {
  ByteWriter w;
  w.Varint(d.users.size());
  for (const auto& [uid, name] : d.users) {
    w.Varint(uid);
    w.String(name);
  }
  return std::move(w.bytes());
}

bool DecodeUsers(std::string_view bytes, CaptureData& d) {
  ByteReader r(bytes);
  uint64_t n = 0;
  if (!r.Count(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t uid = 0;
    std::string name;
    if (!r.Varint(uid) || uid > UINT32_MAX || !r.String(name)) return false;
    d.users[static_cast<uint32_t>(uid)] = std::move(name);
  }
  return r.AtEnd();
}

std::string EncodeSystem(const CaptureData& d) {
  ByteWriter w;
  PutAnswer(w, d.pids);
  PutAnswers(w, d.system);
  return std::move(w.bytes());
}

bool DecodeSystem(std::string_view bytes, CaptureData& d) {
  ByteReader r(bytes);
  return GetAnswer(r, d.pids) && GetAnswers(r, d.system) && r.AtEnd();
}

absl::StatusOr<std::string> Compress(std::string_view raw) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (cctx == nullptr) return absl::InternalError("zstd: out of memory");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n =
      ZSTD_compress2(cctx, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

// The stored order; the checksum covers the blobs in this order.
constexpr const char* kBlobs[] = {"system", "users", "processes", "pagemap",
                                  "kpages"};

// FNV-1a 64 over every meta row but the checksum and every blob as stored
// (compressed: zstd's frame checksums cover what they decompress to), each
// as name, NUL, value, NUL, in name order.
uint64_t ContentChecksum(const std::map<std::string, std::string>& meta,
                         const std::map<std::string, std::string>& raw) {
  uint64_t sum = kFnvBasis;
  const std::string_view nul("\0", 1);
  for (const auto* table : {&meta, &raw}) {
    for (const auto& [k, v] : *table) {
      if (table == &meta && k == "checksum") continue;
      sum = Fnv1a(Fnv1a(Fnv1a(Fnv1a(sum, k), nul), v), nul);
    }
  }
  return sum;
}

}  // namespace

absl::StatusOr<std::string> SerializeCapture(const CaptureData& d) {
  std::map<std::string, std::string> raw;
  raw["system"] = EncodeSystem(d);
  raw["users"] = EncodeUsers(d);
  raw["processes"] = EncodeProcesses(d);
  raw["pagemap"] = EncodePagemap(d);
  raw["kpages"] = EncodeKpages(d);
  auto db =
      SqliteDb::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_MEMORY);
  if (!db.ok()) return db.status();
  if (absl::Status s = db->Exec(kSchema); !s.ok()) return s;
  const CaptureInfo& i = d.info;
  const std::vector<std::pair<std::string, std::string>> meta = {
      {"format", kFormatName},
      {"version", absl::StrCat(kFormatVersion)},
      {"host", i.host},
      {"kernel", i.kernel},
      {"page_size", absl::StrCat(i.page_size)},
      {"unix_ms", absl::StrCat(i.unix_ms)},
      {"self_pid", absl::StrCat(i.self_pid)},
      {"memstats_version", i.memstats_version},
      {"env_values", absl::StrJoin(i.env_values, "\n")},
  };
  std::map<std::string, std::string> meta_map(meta.begin(), meta.end());
  std::map<std::string, std::string> stored;
  for (const char* name : kBlobs) {
    auto z = Compress(raw[name]);
    if (!z.ok()) return z.status();
    stored[name] = std::move(*z);
  }
  const uint64_t sum = ContentChecksum(meta_map, stored);
  auto put_meta = SqliteStmt::Prepare(*db, "INSERT INTO meta VALUES(?,?)");
  if (!put_meta.ok()) return put_meta.status();
  meta_map["checksum"] = absl::StrFormat("%016x", sum);
  for (const auto& [k, v] : meta_map) {
    put_meta->Bind(1, k);
    put_meta->Bind(2, v);
    if (absl::Status s = put_meta->Run(); !s.ok()) return s;
  }
  auto put_blob = SqliteStmt::Prepare(*db, "INSERT INTO blobs VALUES(?,?,?)");
  if (!put_blob.ok()) return put_blob.status();
  for (const char* name : kBlobs) {
    put_blob->Bind(1, absl::string_view(name));
    put_blob->Bind(2, static_cast<uint64_t>(raw[name].size()));
    put_blob->BindBlob(3, stored[name]);
    if (absl::Status s = put_blob->Run(); !s.ok()) return s;
  }
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db->get(), "main", &size, 0);
  if (bytes == nullptr) return absl::InternalError("sqlite3_serialize failed");
  std::string out(reinterpret_cast<const char*>(bytes),
                  static_cast<size_t>(size));
  sqlite3_free(bytes);
  return out;
}

absl::StatusOr<CaptureData> ParseCapture(std::string_view bytes,
                                         const std::string& name,
                                         ParseOptions options) {
  auto bad = [&name](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat(name, ": ", absl::string_view(why.data(), why.size())));
  };
  constexpr std::string_view kMagic("SQLite format 3\0", 16);
  if (bytes.size() < 100 || bytes.substr(0, 16) != kMagic) {
    return bad("not a memstats capture (not an SQLite database)");
  }
  // The header's page size times its page count is the file's size: SQLite
  // itself would read a file cut at a page boundary as a smaller database.
  auto byte = [&bytes](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  uint32_t page_size = byte(16) << 8 | byte(17);
  if (page_size == 1) page_size = 65536;
  const uint64_t pages =
      byte(28) << 24 | byte(29) << 16 | byte(30) << 8 | byte(31);
  if (page_size * pages != bytes.size()) {
    return bad(absl::StrFormat(
        "truncated or corrupted (%d bytes; its header says %d pages of %d)",
        bytes.size(), pages, page_size));
  }
  auto db =
      SqliteDb::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY);
  if (!db.ok()) return db.status();
  // SQLite reads the bytes in place (no FREEONCLOSE): they outlive `db`.
  auto* data =
      reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data()));
  const int rc = sqlite3_deserialize(
      db->get(), "main", data, static_cast<sqlite3_int64>(bytes.size()),
      static_cast<sqlite3_int64>(bytes.size()), SQLITE_DESERIALIZE_READONLY);
  if (rc != SQLITE_OK) return bad("cannot be read as an SQLite database");

  std::map<std::string, std::string> meta;
  {
    auto q = SqliteStmt::Prepare(*db, "SELECT key, value FROM meta");
    if (!q.ok()) return bad("not a memstats capture (no meta table)");
    while (true) {
      auto row = q->Step();
      if (!row.ok())
        return bad(absl::StrCat("corrupted (", row.status().message(), ")"));
      if (!*row) break;
      meta[q->Text(0)] = q->Text(1);
    }
  }
  if (meta["format"] != kFormatName) {
    return bad("not a memstats capture (no capture format in its meta table)");
  }
  int version = 0;
  if (!absl::SimpleAtoi(meta["version"], &version) || version < 1) {
    return bad(absl::StrCat("bad format version '", meta["version"], "'"));
  }
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: written by %s memstats (capture format version %d; this one "
        "reads version %d)",
        name, version > kFormatVersion ? "a newer" : "an older", version,
        kFormatVersion));
  }
  CaptureData d;
  CaptureInfo& i = d.info;
  i.host = meta["host"];
  i.kernel = meta["kernel"];
  i.memstats_version = meta["memstats_version"];
  if (!absl::SimpleAtoi(meta["page_size"], &i.page_size) || i.page_size == 0 ||
      (i.page_size & (i.page_size - 1)) != 0 ||
      !absl::SimpleAtoi(meta["unix_ms"], &i.unix_ms) ||
      !absl::SimpleAtoi(meta["self_pid"], &i.self_pid) || i.self_pid < 0) {
    return bad("corrupted (bad meta values)");
  }
  for (absl::string_view v :
       absl::StrSplit(meta["env_values"], '\n', absl::SkipEmpty())) {
    i.env_values.emplace_back(v);
  }

  std::map<std::string, std::string> stored;
  std::map<std::string, uint64_t> raw_sizes;
  {
    auto q = SqliteStmt::Prepare(*db, "SELECT name, raw_size, data FROM blobs");
    if (!q.ok())
      return bad(absl::StrCat("corrupted (", q.status().message(), ")"));
    while (true) {
      auto row = q->Step();
      if (!row.ok())
        return bad(absl::StrCat("corrupted (", row.status().message(), ")"));
      if (!*row) break;
      const std::string blob_name = q->Text(0);
      raw_sizes[blob_name] = q->Uint(1);
      stored[blob_name] = q->Blob(2);
    }
  }
  for (const char* blob : kBlobs) {
    if (!stored.contains(blob)) {
      return bad(absl::StrCat("truncated or corrupted (no ", blob, " blob)"));
    }
  }
  if (options.verify_checksum &&
      meta["checksum"] !=
          absl::StrFormat("%016x", ContentChecksum(meta, stored))) {
    return bad("corrupted (checksum mismatch)");
  }
  // Each blob decompressed. The page runs' blob stays alive in the page
  // windows that view it, one part a process: never copied.
  std::map<std::string, std::shared_ptr<scan::HugeVector<char>>> raw;
  for (const auto& [blob_name, z] : stored) {
    const uint64_t raw_size = raw_sizes[blob_name];
    const unsigned long long frame =
        ZSTD_getFrameContentSize(z.data(), z.size());
    if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN ||
        frame != raw_size || raw_size > z.size() * kMaxRatio + (1 << 20)) {
      return bad(absl::StrCat("corrupted (blob ", blob_name, ")"));
    }
    auto out = std::make_shared<scan::HugeVector<char>>(raw_size);
    const size_t n =
        ZSTD_decompress(out->data(), out->size(), z.data(), z.size());
    if (ZSTD_isError(n) || n != raw_size) {
      return bad(absl::StrCat("corrupted (blob ", blob_name, ": ",
                              ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short",
                              ")"));
    }
    raw[blob_name] = std::move(out);
  }
  auto view = [&raw](const char* blob) {
    const scan::HugeVector<char>& v = *raw[blob];
    return std::string_view(v.data(), v.size());
  };
  bool decoded = false;
  tbb::task_arena arena(std::max(1, options.threads));
  arena.execute([&] {
    decoded = DecodeSystem(view("system"), d) &&
              DecodeUsers(view("users"), d) &&
              DecodeProcesses(view("processes"), d) &&
              DecodePagemap(view("pagemap"), raw["pagemap"], d) &&
              DecodeKpages(view("kpages"), d);
  });
  if (!decoded) return bad("corrupted (bad blob content)");
  // What the replay relies on: numeric lists, sorted covered ranges.
  if (d.pids.code == absl::StatusCode::kOk && !SplitIds(d.pids.data)) {
    return bad("corrupted (bad pid list)");
  }
  for (const auto& [pid, p] : d.processes) {
    for (const char* key : {"tasks", "fds"}) {
      auto it = p.answers.find(key);
      if (it != p.answers.end() && it->second.code == absl::StatusCode::kOk &&
          !SplitIds(it->second.data)) {
        return bad("corrupted (bad id list)");
      }
    }
  }
  return d;
}

absl::StatusOr<CaptureData> ReadCaptureFile(const std::string& path,
                                            int threads) {
  auto err = [&path](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", absl::string_view(why.data(), why.size())));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ELOOP) return err("is a symbolic link; not followed");
    return err(std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return err("not a regular file");
  }
  std::string bytes;
  bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  return ParseCapture(bytes, path, ParseOptions{.threads = threads});
}

}  // namespace memstats::capture
