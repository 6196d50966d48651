#include "filters/lexer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace memstats::filters {
namespace {

// Renders every token up to kEnd or kError as "name@start-end:value".
std::string Lex(std::string_view input) {
  Lexer lexer(input);
  std::string out;
  for (;;) {
    Lexeme l = lexer.Next();
    if (!out.empty()) out += " ";
    out += std::string(TokenName(l.token)) + "@" + std::to_string(l.start) +
           "-" + std::to_string(l.end);
    if (l.token == Token::kWord || l.token == Token::kString ||
        l.token == Token::kError) {
      out += ":" + l.value;
    }
    if (l.token == Token::kEnd || l.token == Token::kError) return out;
  }
}

TEST(LexerTest, Tokens) {
  struct Case {
    const char* input;
    const char* tokens;
  };
  const Case cases[] = {
      {"", "end of input@0-0"},
      {"  \t\n", "end of input@4-4"},
      {"uid(0)", "word@0-3:uid '('@3-4 word@4-5:0 ')'@5-6 end of input@6-6"},
      {" a , b ", "word@1-2:a ','@3-4 word@5-6:b end of input@7-7"},
      {"a.b/c:d@e+f*g\\h-i_j",
       "word@0-19:a.b/c:d@e+f*g\\h-i_j end of input@19-19"},
      {"\"x, (y)\"", "quoted string@0-8:x, (y) end of input@8-8"},
      {"\"a\\\"b\\\\c\"", "quoted string@0-9:a\"b\\c end of input@9-9"},
      {"\"\"", "quoted string@0-2: end of input@2-2"},
      {"ab\"cd\"", "word@0-2:ab quoted string@2-6:cd end of input@6-6"},
      {"caf\xc3\xa9", "word@0-5:caf\xc3\xa9 end of input@5-5"},
      {"x \"abc", "word@0-1:x invalid token@2-6:unterminated quoted string"},
      {"\"abc\\", "invalid token@0-5:unterminated quoted string"},
      {"\"a\\nb\"", "invalid token@2-4:invalid escape '\\n' in quoted string"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Lex(c.input), c.tokens) << "input: " << c.input;
  }
}

TEST(LexerTest, EndAndErrorRepeat) {
  Lexer end("a");
  EXPECT_EQ(end.Next().token, Token::kWord);
  EXPECT_EQ(end.Next().token, Token::kEnd);
  EXPECT_EQ(end.Next().token, Token::kEnd);

  Lexer error("\"open");
  Lexeme first = error.Next();
  Lexeme second = error.Next();
  EXPECT_EQ(first.token, Token::kError);
  EXPECT_EQ(second.token, Token::kError);
  EXPECT_EQ(second.start, 0u);
  EXPECT_EQ(second.expected, "a closing '\"'");
}

TEST(LexerTest, TokenNames) {
  EXPECT_EQ(TokenName(Token::kWord), "word");
  EXPECT_EQ(TokenName(Token::kString), "quoted string");
  EXPECT_EQ(TokenName(Token::kLParen), "'('");
  EXPECT_EQ(TokenName(Token::kRParen), "')'");
  EXPECT_EQ(TokenName(Token::kComma), "','");
  EXPECT_EQ(TokenName(Token::kEnd), "end of input");
  EXPECT_EQ(TokenName(Token::kError), "invalid token");
}

}  // namespace
}  // namespace memstats::filters
