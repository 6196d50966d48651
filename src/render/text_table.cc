#include "render/text_table.h"

#include <algorithm>

namespace memstats::render {
namespace {

// Display width: counts UTF-8 lead bytes, not continuation bytes.
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xc0) != 0x80;
  return w;
}

}  // namespace

void TextTable::AddColumn(std::string header, Align align) {
  columns_.push_back({std::move(header), align});
}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::AddRule() { rows_.emplace_back(); }

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    width[c] = Width(columns_[c].header);
    for (const auto& row : rows_) {
      if (!row.empty()) width[c] = std::max(width[c], Width(row[c]));
    }
  }
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  total = total >= 2 ? total - 2 : 0;

  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string& s = cells[c];
      size_t pad = width[c] - Width(s);
      bool last = c + 1 == columns_.size();
      if (columns_[c].align == Align::kRight) {
        line.append(pad, ' ');
        line += s;
      } else {
        line += s;
        if (!last) line.append(pad, ' ');
      }
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };

  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  print_row(headers);
  for (const auto& row : rows_) {
    if (row.empty()) {
      out << std::string(total, '-') << '\n';
    } else {
      print_row(row);
    }
  }
}

}  // namespace memstats::render
