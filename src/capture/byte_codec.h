// The encoding inside a capture's blobs: LEB128 varints and
// length-prefixed strings. ByteReader never reads past its input: every
// read reports failure instead (a capture file is untrusted input).
#ifndef MEMSTATS_CAPTURE_BYTE_CODEC_H_
#define MEMSTATS_CAPTURE_BYTE_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace memstats::capture {

class ByteWriter {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void String(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  // False (and nothing read) at the end of the input or on a varint longer
  // than 64 bits.
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool String(std::string& s) {
    std::string_view v;
    if (!View(v)) return false;
    s.assign(v);
    return true;
  }
  // A string as String() reads it, as a view of the input.
  bool View(std::string_view& v) {
    uint64_t n = 0;
    if (!Varint(n) || n > in_.size() - pos_) return false;
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // A count of items each at least one byte long: never more than what is
  // left, so a corrupt count cannot make the caller reserve too much.
  bool Count(uint64_t& n) { return Varint(n) && n <= in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  // What is left of the input, as a view; the reader is then at its end.
  std::string_view Rest() {
    const std::string_view v = in_.substr(pos_);
    pos_ = in_.size();
    return v;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace memstats::capture

#endif  // MEMSTATS_CAPTURE_BYTE_CODEC_H_
