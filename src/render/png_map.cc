#include "render/png_map.h"

#include <png.h>

#include <csetjmp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "render/text_table.h"

namespace memstats::render {
namespace {

struct PngWriter {
  std::string* out = nullptr;
  std::string error;
};

void WriteData(png_structp png, png_bytep data, png_size_t length) {
  auto* w = static_cast<PngWriter*>(png_get_io_ptr(png));
  w->out->append(reinterpret_cast<const char*>(data), length);
}

void Flush(png_structp) {}

// libpng reports errors through this, then longjmps to EncodeRows's setjmp.
void OnError(png_structp png, png_const_charp message) {
  auto* w = static_cast<PngWriter*>(png_get_error_ptr(png));
  w->error = message;
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}

std::string RgbHex(inspect::Rgb c) {
  return absl::StrFormat("#%02x%02x%02x", c.r, c.g, c.b);
}

// Writes every row of the image. Between setjmp and the end nothing with
// a destructor is created (a longjmp would skip it): the row buffer and
// the colour table come in from the caller.
bool EncodeRows(png_structp png, png_infop info, const inspect::PhysMap& map,
                const std::vector<inspect::Rgb>& colour_of,
                std::vector<png_byte>& row) {
  if (setjmp(png_jmpbuf(png))) return false;
  const uint32_t width = map.layout.width;
  png_set_IHDR(png, info, width, PngHeight(map), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const auto put = [&](uint32_t x, uint16_t cls) {
    const inspect::Rgb c =
        cls == inspect::kBackgroundClass ? inspect::kBackground : colour_of[cls];
    const size_t i = size_t{3} * x;
    row[i] = c.r;
    row[i + 1] = c.g;
    row[i + 2] = c.b;
  };
  for (uint32_t y = 0; y < map.layout.height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      put(x, map.raster[uint64_t{y} * width + x]);
    }
    png_write_row(png, row.data());
  }
  for (uint32_t x = 0; x < width; ++x) put(x, inspect::kBackgroundClass);
  for (uint32_t y = 0; y < kPngGapRows; ++y) png_write_row(png, row.data());
  for (uint32_t x = 0; x < width; ++x) put(x, map.strip[x]);
  for (uint32_t y = 0; y < kPngStripRows; ++y) png_write_row(png, row.data());
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

uint32_t PngHeight(const inspect::PhysMap& map) {
  return map.layout.height + kPngGapRows + kPngStripRows;
}

absl::StatusOr<std::string> EncodeMapPng(const inspect::PhysMap& map) {
  std::string out;
  PngWriter writer{&out, ""};
  std::vector<inspect::Rgb> colour_of;
  colour_of.reserve(map.classes.size());
  for (const inspect::MapClass& c : map.classes) colour_of.push_back(c.colour);
  std::vector<png_byte> row(size_t{3} * map.layout.width);

  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer,
                                            OnError, OnWarning);
  if (png == nullptr) return absl::InternalError("libpng: out of memory");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return absl::InternalError("libpng: out of memory");
  }
  png_set_write_fn(png, &writer, WriteData, Flush);
  const bool ok = EncodeRows(png, info, map, colour_of, row);
  png_destroy_write_struct(&png, &info);
  if (!ok) return absl::InternalError(absl::StrCat("libpng: ", writer.error));
  return out;
}

void RenderMapText(const inspect::PhysMap& map, const MapOutput& out,
                   Unit unit, std::ostream& os) {
  const inspect::MapLayout& l = map.layout;
  os << "memstats map: " << EscapeForTerminal(out.path) << ", " << l.width
     << " x " << PngHeight(map) << " pixels (" << l.width << " x " << l.height
     << " map, " << l.squares << (l.squares == 1 ? " Hilbert square" : " Hilbert squares")
     << " side by side; legend strip below)\n";
  os << FormatThousands(map.end_pfn) << " PFNs (0 to "
     << absl::StrFormat("%#x", map.end_pfn) << ", "
     << FormatBytes(map.end_pfn * out.page_size, Unit::kAuto)
     << " of address space), " << map.scale
     << (map.scale == 1 ? " page" : " pages") << " per pixel"
     << (map.scale == 1 ? "" : " (majority; ties to the class listed first)")
     << ", " << absl::StrFormat("%.2f s", out.seconds) << "\n\n";
  TextTable t;
  t.AddColumn("COLOUR", TextTable::Align::kLeft);
  t.AddColumn("PAGES", TextTable::Align::kRight);
  t.AddColumn("SIZE", TextTable::Align::kRight);
  t.AddColumn("PIXELS", TextTable::Align::kRight);
  t.AddColumn("CLASS", TextTable::Align::kLeft);
  for (const inspect::MapClass& c : map.classes) {
    std::string name =
        c.kind == inspect::ClassKind::kGroup
            ? absl::StrCat("group ", EscapeForTerminal(Shorten(c.name, 60)))
            : c.name;
    t.AddRow({RgbHex(c.colour), FormatThousands(c.pages),
              FormatBytes(c.pages * out.page_size, unit),
              FormatThousands(c.pixels), name});
  }
  t.Print(os);
}

void RenderMapJson(const inspect::PhysMap& map, const MapOutput& out,
                   std::ostream& os) {
  nlohmann::ordered_json j;
  j["file"] = out.path;
  j["width"] = map.layout.width;
  j["height"] = PngHeight(map);
  j["map_width"] = map.layout.width;
  j["map_height"] = map.layout.height;
  j["hilbert_order"] = map.layout.order;
  j["squares"] = map.layout.squares;
  j["pages_per_pixel"] = map.scale;
  j["end_pfn"] = map.end_pfn;
  j["page_size"] = out.page_size;
  j["seconds"] = out.seconds;
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (const inspect::MapClass& c : map.classes) {
    classes.push_back({{"kind", inspect::ClassKindName(c.kind)},
                       {"name", c.name},
                       {"colour", RgbHex(c.colour)},
                       {"pages", c.pages},
                       {"bytes", c.pages * out.page_size},
                       {"pixels", c.pixels}});
  }
  j["classes"] = std::move(classes);
  os << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
     << "\n";
}

}  // namespace memstats::render
