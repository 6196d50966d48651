#include "filters/lexer.h"

#include <utility>

namespace memstats::filters {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

}  // namespace

std::string_view TokenName(Token token) {
  switch (token) {
    case Token::kWord:
      return "word";
    case Token::kString:
      return "quoted string";
    case Token::kLParen:
      return "'('";
    case Token::kRParen:
      return "')'";
    case Token::kComma:
      return "','";
    case Token::kEnd:
      return "end of input";
    case Token::kError:
      return "invalid token";
  }
  return "unknown token";
}

bool IsWordDelimiter(char c) {
  return IsSpace(c) || c == ',' || c == '(' || c == ')' || c == '"';
}

Lexeme Lexer::Next() {
  while (pos_ < input_.size() && IsSpace(input_[pos_])) ++pos_;
  Lexeme lexeme;
  lexeme.start = pos_;
  if (pos_ == input_.size()) {
    lexeme.token = Token::kEnd;
    lexeme.end = pos_;
    return lexeme;
  }
  switch (input_[pos_]) {
    case '(':
      lexeme.token = Token::kLParen;
      break;
    case ')':
      lexeme.token = Token::kRParen;
      break;
    case ',':
      lexeme.token = Token::kComma;
      break;
    case '"':
      return ReadString(pos_);
    default: {
      size_t end = pos_;
      while (end < input_.size() && !IsWordDelimiter(input_[end])) ++end;
      lexeme.token = Token::kWord;
      lexeme.value = std::string(input_.substr(pos_, end - pos_));
      lexeme.end = pos_ = end;
      return lexeme;
    }
  }
  lexeme.end = ++pos_;
  return lexeme;
}

// On an error pos_ is left at `start`, so a second Next() reports the same
// error rather than lexing the rest of the string as words.
Lexeme Lexer::ReadString(size_t start) {
  Lexeme lexeme;
  lexeme.start = start;
  std::string value;
  for (size_t i = start + 1; i < input_.size(); ++i) {
    char c = input_[i];
    if (c == '"') {
      lexeme.token = Token::kString;
      lexeme.value = std::move(value);
      lexeme.end = pos_ = i + 1;
      return lexeme;
    }
    if (c == '\\') {
      if (i + 1 < input_.size() &&
          (input_[i + 1] == '"' || input_[i + 1] == '\\')) {
        value.push_back(input_[++i]);
        continue;
      }
      if (i + 1 < input_.size()) {
        lexeme.token = Token::kError;
        lexeme.start = i;
        lexeme.end = i + 2;
        lexeme.value = "invalid escape '\\" + std::string(1, input_[i + 1]) +
                       "' in quoted string";
        lexeme.expected = "\\\" or \\\\";
        return lexeme;
      }
      // A backslash as the last byte: the string is unterminated.
      break;
    }
    value.push_back(c);
  }
  lexeme.token = Token::kError;
  lexeme.end = input_.size();
  lexeme.value = "unterminated quoted string";
  lexeme.expected = "a closing '\"'";
  return lexeme;
}

}  // namespace memstats::filters
