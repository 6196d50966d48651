// TextTable: aligned columns of text, for every table memstats prints.
#ifndef MEMSTATS_RENDER_TEXT_TABLE_H_
#define MEMSTATS_RENDER_TEXT_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace memstats::render {

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  void AddColumn(std::string header, Align align);
  // REQUIRES: one cell per column. Cells are printed as given (callers
  // escape untrusted text first).
  void AddRow(std::vector<std::string> cells);
  // A rule of dashes as wide as the table, before the next row.
  void AddRule();

  // Columns are separated by two spaces; the last column is not padded.
  void Print(std::ostream& out) const;

 private:
  struct Column {
    std::string header;
    Align align;
  };
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;  // empty row: a rule
};

}  // namespace memstats::render

#endif  // MEMSTATS_RENDER_TEXT_TABLE_H_
