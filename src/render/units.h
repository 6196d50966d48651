// Byte counts as text, in the unit the user chose (--units).
#ifndef MEMSTATS_RENDER_UNITS_H_
#define MEMSTATS_RENDER_UNITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memstats::render {

enum class Unit { kBytes, kKiB, kMiB, kGiB, kAuto };

// "B", "KiB", "MiB", "GiB", "auto"; nullopt for anything else.
std::optional<Unit> ParseUnit(std::string_view s);

// kBytes: "4096"; kKiB: "4" (pages are whole KiB); kMiB/kGiB: one decimal,
// "150.0"; kAuto: the largest unit that keeps the value >= 1, with a suffix:
// "512B", "4.0K", "150.0M", "1.2G".
std::string FormatBytes(uint64_t bytes, Unit unit);

// Bytes with thousands separators: "1,234,567".
std::string FormatThousands(uint64_t n);

// `s` cut to at most `max` bytes (max >= 5) keeping its start and its end,
// joined by "...": long paths, cgroups and command lines stay recognizable.
std::string Shorten(const std::string& s, size_t max);

// Makes text safe for a terminal: control bytes and invalid UTF-8 become
// \xNN escapes; valid UTF-8 passes through.
std::string EscapeForTerminal(std::string_view s);

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_UNITS_H_
