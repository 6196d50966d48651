// Reads a PNG back with libpng (the simplified API), for tests that check
// memstats map's pictures pixel by pixel.
#ifndef MEMSTATS_TESTS_PNG_READ_H_
#define MEMSTATS_TESTS_PNG_READ_H_

#include <png.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"

namespace memstats::testing {

struct RgbImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
  std::string error;         // set when the file could not be read

  // "#rrggbb" of pixel (x, y).
  std::string Hex(uint32_t x, uint32_t y) const {
    const uint8_t* p = &rgb[(size_t{y} * width + x) * 3];
    return absl::StrFormat("#%02x%02x%02x", p[0], p[1], p[2]);
  }
  // Pixels per "#rrggbb" colour in rows [y0, y1).
  std::map<std::string, uint64_t> CountColours(uint32_t y0,
                                               uint32_t y1) const {
    absl::flat_hash_map<uint32_t, uint64_t> packed;  // 0xrrggbb
    for (size_t i = size_t{y0} * width * 3; i < size_t{y1} * width * 3;
         i += 3) {
      ++packed[(uint32_t{rgb[i]} << 16) | (uint32_t{rgb[i + 1]} << 8) |
               rgb[i + 2]];
    }
    std::map<std::string, uint64_t> n;
    for (const auto& [c, count] : packed) {
      n[absl::StrFormat("#%06x", c)] = count;
    }
    return n;
  }
};

inline RgbImage ReadPng(const std::string& path) {
  RgbImage img;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    img.error = image.message;
    return img;
  }
  image.format = PNG_FORMAT_RGB;
  img.width = image.width;
  img.height = image.height;
  img.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, img.rgb.data(), 0, nullptr)) {
    img.error = image.message;
  }
  png_image_free(&image);
  return img;
}

}  // namespace memstats::testing

#endif  // MEMSTATS_TESTS_PNG_READ_H_
