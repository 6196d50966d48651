// UTF-8 for the renderers whose formats require it (XML, Prometheus label
// values): group names come from environment values and command lines,
// which may hold any bytes.
#ifndef MEMSTATS_RENDER_UTF8_H_
#define MEMSTATS_RENDER_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace memstats::render {

// The U+FFFD replacement character, in UTF-8.
inline constexpr char kReplacementChar[] = "\xef\xbf\xbd";

// One code point of valid UTF-8 at s[i]: returns its length and stores its
// value in *cp; returns 0 when the bytes there are not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are not).
// REQUIRES: i < s.size().
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_UTF8_H_
