// The lexer of the filter language (see filter.h for the grammar).
//
// Tokens are '(', ')', ',', bare words and quoted strings. A bare word is a
// run of any bytes except white space, ',', '(', ')' and '"'; it holds
// function names, numbers and unquoted values alike, and a backslash in it
// is an ordinary byte. A quoted string runs from '"' to the next unescaped
// '"'; inside it \" and \\ are the only escapes.
#ifndef MEMSTATS_FILTERS_LEXER_H_
#define MEMSTATS_FILTERS_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace memstats::filters {

enum class Token {
  kWord,
  kString,
  kLParen,
  kRParen,
  kComma,
  kEnd,
  kError,
};

// A short name for messages: "word", "quoted string", "'('", "end of
// input", ...
std::string_view TokenName(Token token);

// True for the bytes that end a bare word: white space, ',', '(', ')', '"'.
bool IsWordDelimiter(char c);

struct Lexeme {
  Token token = Token::kEnd;
  size_t start = 0;  // 0-based column of the first byte (of the error)
  size_t end = 0;    // one past the last byte
  // kWord: the word. kString: the contents with escapes removed.
  // kError: what went wrong, e.g. "unterminated quoted string".
  std::string value;
  std::string expected;  // kError only: what would have been valid
};

class Lexer {
 public:
  // REQUIRES: `input` outlives the lexer.
  explicit Lexer(std::string_view input) : input_(input) {}

  // Skips white space and reads one token. At the end of the input returns
  // kEnd, and again on every later call. After a kError the lexer stays
  // where the error is and returns the same error again.
  Lexeme Next();

 private:
  Lexeme ReadString(size_t start);

  std::string_view input_;
  size_t pos_ = 0;
};

}  // namespace memstats::filters

#endif  // MEMSTATS_FILTERS_LEXER_H_
