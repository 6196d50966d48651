// The filter language: a recursive-descent parser over the tokens of
// lexer.h, building a tree of Node that Filter shares between copies.
//
// Every argument is checked while parsing, so a parsed Filter cannot fail
// to evaluate: numbers are range-checked, user names are resolved to uids
// and regular expressions are compiled once. Errors point at the first
// byte of the offending token; "missing ')'" points at the end of input.
#include "filters/filter.h"

#include "scan/proc_source.h"


#include <algorithm>
#include <cerrno>
#include <climits>
#include <initializer_list>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "filters/lexer.h"
#include "filters/node.h"

namespace memstats::filters {
namespace {

using Kind = Node::Kind;

// Bounds the recursion of the parser and of evaluation.
constexpr int kMaxDepth = 100;

// absl::StrCat would do, but Debian's abseil has its own string_view that
// std::string_view does not convert to.
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

std::string FilterExpected() { return "a filter, " + FunctionList(); }

std::string Describe(const Lexeme& lexeme) {
  switch (lexeme.token) {
    case Token::kWord:
      return Cat({"word '", lexeme.value, "'"});
    case Token::kString:
      return Cat({"quoted string ", Quote(lexeme.value)});
    default:
      return std::string(TokenName(lexeme.token));
  }
}

std::string ArityText(const FunctionInfo& f) {
  if (f.max_args == 0) return "no arguments";
  std::string count = Cat(
      {std::to_string(f.min_args), " argument", f.min_args == 1 ? "" : "s"});
  return f.max_args < 0 ? "at least " + count : count;
}

}  // namespace

// One pass over the text with one token of look-ahead. A friend of Filter,
// whose root and text it fills in.
class Parser {
 public:
  Parser(std::string_view text, const UserResolver& users)
      : text_(text), lexer_(text), users_(users) {}

  // Each returns false and sets error() on a parse error.
  bool ParseOne(Filter* out);
  bool ParseList(std::vector<Filter>* out);

  const FilterError& error() const { return error_; }

 private:
  const Lexeme& Peek();
  Lexeme Take();

  bool ParseItem(Filter* out);
  bool ParseExpr(Node* out, int depth);
  bool ParseCall(const Lexeme& name, Node* out, int depth);
  bool ParseArg(const FunctionInfo& f, Node* call, int depth);
  bool ParseNumber(const Lexeme& lexeme, int64_t max, int64_t* out);

  bool Fail(size_t column, std::string message, std::string_view expected);
  // Fails at `got`, reporting the lexer's error if `got` is one.
  bool Unexpected(const Lexeme& got, std::string message,
                  std::string_view expected);

  std::string_view text_;
  Lexer lexer_;
  const UserResolver& users_;
  std::optional<Lexeme> peeked_;
  size_t last_end_ = 0;  // end of the last token taken
  FilterError error_;
};

const Lexeme& Parser::Peek() {
  if (!peeked_) peeked_ = lexer_.Next();
  return *peeked_;
}

Lexeme Parser::Take() {
  Peek();
  Lexeme lexeme = std::move(*peeked_);
  peeked_.reset();
  last_end_ = lexeme.end;
  return lexeme;
}

bool Parser::Fail(size_t column, std::string message,
                  std::string_view expected) {
  error_.column = column;
  error_.message = std::move(message);
  error_.expected = std::string(expected);
  return false;
}

bool Parser::Unexpected(const Lexeme& got, std::string message,
                        std::string_view expected) {
  if (got.token == Token::kError) {
    return Fail(got.start, got.value, got.expected);
  }
  return Fail(got.start, std::move(message), expected);
}

bool Parser::ParseOne(Filter* out) {
  if (!ParseItem(out)) return false;
  Lexeme next = Take();
  if (next.token == Token::kEnd) return true;
  if (next.token == Token::kRParen) {
    return Fail(next.start, "unbalanced parenthesis: extra ')'",
                "end of input");
  }
  return Unexpected(next, "trailing characters after filter", "end of input");
}

bool Parser::ParseList(std::vector<Filter>* out) {
  for (;;) {
    Filter filter;
    if (!ParseItem(&filter)) return false;
    out->push_back(std::move(filter));
    Lexeme next = Take();
    if (next.token == Token::kEnd) return true;
    if (next.token == Token::kComma) continue;
    if (next.token == Token::kRParen) {
      return Fail(next.start, "unbalanced parenthesis: extra ')'",
                  "',' or end of input");
    }
    return Unexpected(next, "trailing characters after filter",
                      "',' or end of input");
  }
}

bool Parser::ParseItem(Filter* out) {
  const Lexeme& first = Peek();
  if (first.token == Token::kEnd || first.token == Token::kComma) {
    return Fail(first.start, "empty filter", FilterExpected());
  }
  size_t start = first.start;
  auto root = std::make_shared<Node>();
  if (!ParseExpr(root.get(), 0)) return false;
  out->root_ = std::move(root);
  out->text_ = std::string(text_.substr(start, last_end_ - start));
  return true;
}

bool Parser::ParseExpr(Node* out, int depth) {
  Lexeme lexeme = Take();
  if (lexeme.token == Token::kWord && Peek().token == Token::kLParen) {
    return ParseCall(lexeme, out, depth);
  }
  if (lexeme.token == Token::kWord && FindFunction(lexeme.value) != nullptr) {
    return Unexpected(Peek(), Cat({"expected '(' after '", lexeme.value, "'"}),
                      "'('");
  }
  if (lexeme.token == Token::kWord || lexeme.token == Token::kString) {
    return Fail(
        lexeme.start,
        Cat({"expected a filter, got value ",
             lexeme.token == Token::kWord ? Cat({"'", lexeme.value, "'"})
                                          : Quote(lexeme.value)}),
        FilterExpected());
  }
  if (lexeme.token == Token::kRParen) {
    return Fail(lexeme.start, "unbalanced parenthesis: unexpected ')'",
                FilterExpected());
  }
  return Unexpected(lexeme, Cat({"expected a filter, got ", Describe(lexeme)}),
                    FilterExpected());
}

bool Parser::ParseCall(const Lexeme& name, Node* out, int depth) {
  const FunctionInfo* f = FindFunction(name.value);
  if (f == nullptr) {
    return Fail(name.start, Cat({"unknown function '", name.value, "'"}),
                FunctionList());
  }
  if (depth >= kMaxDepth) {
    return Fail(name.start, "filter nested too deeply",
                Cat({"at most ", std::to_string(kMaxDepth), " nested calls"}));
  }
  Take();  // '('
  out->kind = f->kind;
  int count = 0;
  size_t close = 0;
  if (Peek().token == Token::kRParen) {
    close = Take().start;
  } else {
    for (;;) {
      const Lexeme& next = Peek();
      if (f->max_args >= 0 && count == f->max_args) {
        return Fail(
            next.start,
            Cat({"too many arguments: ", f->name, "() takes ", ArityText(*f)}),
            "')'");
      }
      if (next.token == Token::kRParen || next.token == Token::kComma) {
        return Fail(
            next.start,
            Cat({"missing argument: ", f->name, "() takes ", ArityText(*f)}),
            f->arg_expected);
      }
      if (!ParseArg(*f, out, depth)) return false;
      ++count;
      Lexeme separator = Take();
      if (separator.token == Token::kRParen) {
        close = separator.start;
        break;
      }
      if (separator.token == Token::kComma) continue;
      if (separator.token == Token::kEnd) {
        return Fail(separator.start, "unbalanced parenthesis: missing ')'",
                    "',' or ')'");
      }
      return Unexpected(separator,
                        Cat({"expected ',' or ')', got ", Describe(separator)}),
                        "',' or ')'");
    }
  }
  if (count < f->min_args) {
    return Fail(
        close, Cat({"missing argument: ", f->name, "() takes ", ArityText(*f)}),
        f->arg_expected);
  }
  return true;
}

bool Parser::ParseArg(const FunctionInfo& f, Node* call, int depth) {
  if (f.arg_type == ArgType::kFilter) {
    call->children.emplace_back();
    return ParseExpr(&call->children.back(), depth + 1);
  }
  Lexeme value = Take();
  if (value.token == Token::kWord && Peek().token == Token::kLParen) {
    return Fail(
        value.start,
        Cat({"expected a value, got function call '", value.value, "'"}),
        f.arg_expected);
  }
  if (value.token != Token::kWord && value.token != Token::kString) {
    return Unexpected(
        value, Cat({"expected ", f.arg_expected, ", got ", Describe(value)}),
        f.arg_expected);
  }
  if (f.arg_type == ArgType::kUid) {
    return ParseNumber(value, UINT32_MAX, &call->number);
  }
  if (f.arg_type == ArgType::kPid) {
    return ParseNumber(value, INT_MAX, &call->number);
  }
  if (f.kind == Kind::kUser) {
    std::optional<uint32_t> uid;
    if (users_) uid = users_(value.value);
    if (!uid) {
      return Fail(value.start, Cat({"unknown user '", value.value, "'"}), "");
    }
    call->number = *uid;
  }
  if (f.kind == Kind::kCmdline) {
    if (auto why = RegexLimitError(value.value)) {
      return Fail(value.start,
                  Cat({"invalid regular expression: ", *why}), "");
    }
    try {
      call->regex = CompileCmdlineRegex(value.value);
    } catch (const std::regex_error& e) {
      return Fail(value.start, Cat({"invalid regular expression: ", e.what()}),
                  "");
    }
  }
  call->args.push_back(std::move(value.value));
  return true;
}

// Numbers are plain decimal: no sign, no hex, leading zeros allowed.
bool Parser::ParseNumber(const Lexeme& lexeme, int64_t max, int64_t* out) {
  const std::string& s = lexeme.value;
  bool digits = !s.empty();
  for (char c : s) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    return Fail(lexeme.start,
                Cat({"expected a number, got ", Describe(lexeme)}), "a number");
  }
  int64_t value = 0;
  for (char c : s) {
    value = value * 10 + (c - '0');
    if (value > max) {
      return Fail(lexeme.start, Cat({"number out of range: ", s}),
                  Cat({"a number from 0 to ", std::to_string(max)}));
    }
  }
  *out = value;
  return true;
}

Filter::Filter() : root_(std::make_shared<const Node>()), text_("true()") {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::Filter(const Filter&) = default;
Filter& Filter::operator=(const Filter&) = default;

// A moved-from Filter has no root and behaves as true().
bool Filter::Matches(const scan::ProcessIdentity& p,
                     const ParentMap& parents) const {
  return root_ == nullptr || root_->Matches(p, parents);
}

uint8_t Filter::IdentityFiles() const {
  return root_ == nullptr ? 0 : root_->IdentityFiles();
}

absl::flat_hash_set<std::string> Filter::EnvKeys() const {
  absl::flat_hash_set<std::string> keys;
  if (root_ != nullptr) root_->CollectEnvKeys(&keys);
  return keys;
}

std::string Filter::ToString() const {
  if (root_ == nullptr) return "true()";
  std::string out;
  root_->AppendTo(&out);
  return out;
}

std::string FormatFilterError(std::string_view text, const FilterError& err) {
  // Control characters would break the caret's alignment.
  std::string line(text);
  for (char& c : line) {
    if (c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') c = ' ';
  }
  std::string out =
      Cat({"invalid filter: ", err.message, "\n  ", line, "\n  ",
           std::string(std::min(err.column, text.size()), ' '), "^\n"});
  if (!err.expected.empty()) {
    out += Cat({"  expected ", err.expected, "\n"});
  }
  return out;
}

std::variant<Filter, FilterError> ParseFilter(std::string_view text,
                                              const UserResolver& users) {
  Parser parser(text, users);
  Filter filter;
  if (!parser.ParseOne(&filter)) return parser.error();
  return filter;
}

std::variant<std::vector<Filter>, FilterError> ParseFilterList(
    std::string_view text, const UserResolver& users) {
  Parser parser(text, users);
  std::vector<Filter> filters;
  if (!parser.ParseList(&filters)) return parser.error();
  return filters;
}

UserResolver SystemUserResolver() {
  return [](std::string_view name) { return scan::SystemUserId(name); };
}

UserResolver SourceUserResolver(const scan::ProcSource& source) {
  return [&source](std::string_view name) { return source.UserId(name); };
}

}  // namespace memstats::filters
