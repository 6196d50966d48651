#include "filters/filter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace memstats::filters {
namespace {

using ::testing::HasSubstr;

const char kFunctions[] =
    "one of: and, or, not, true, false, uid, user, pid, ppid, comm, exe, "
    "descendants, env_k, env_kv, cmdline, cgroup";
const std::string kFilter = std::string("a filter, ") + kFunctions;

std::optional<uint32_t> FakeUsers(std::string_view name) {
  if (name == "root") return 0;
  if (name == "alice") return 1000;
  return std::nullopt;
}

Filter MustParse(std::string_view text) {
  auto result = ParseFilter(text, FakeUsers);
  if (auto* err = std::get_if<FilterError>(&result)) {
    ADD_FAILURE() << FormatFilterError(text, *err);
    return Filter();
  }
  return std::get<Filter>(std::move(result));
}

FilterError MustFail(std::string_view text) {
  auto result = ParseFilter(text, FakeUsers);
  if (auto* err = std::get_if<FilterError>(&result)) return *err;
  ADD_FAILURE() << "parsed: " << text << " as "
                << std::get<Filter>(result).ToString();
  return FilterError();
}

TEST(FilterParseTest, Canonical) {
  struct Case {
    const char* input;
    const char* canonical;
  };
  const Case cases[] = {
      {"true()", "true()"},
      {" true ( ) ", "true()"},
      {"false()", "false()"},
      {"uid(0)", "uid(0)"},
      {"uid( 1000 )", "uid(1000)"},
      {"uid(007)", "uid(7)"},
      {"uid(4294967295)", "uid(4294967295)"},
      {"uid(\"42\")", "uid(42)"},
      {"user(alice)", "user(alice)"},
      {"user( \"root\" )", "user(root)"},
      {"pid(1)", "pid(1)"},
      {"pid(2147483647)", "pid(2147483647)"},
      {"ppid(0)", "ppid(0)"},
      {"comm(bash)", "comm(bash)"},
      {"comm(\"bash\")", "comm(bash)"},
      {"comm(kworker/0:1-events)", "comm(kworker/0:1-events)"},
      {"comm(\"my prog\")", "comm(\"my prog\")"},
      {"comm(\"a,b\")", "comm(\"a,b\")"},
      {"comm(\"f(x)\")", "comm(\"f(x)\")"},
      {"comm(\"\")", "comm(\"\")"},
      {"comm(\"say \\\"hi\\\"\")", "comm(\"say \\\"hi\\\"\")"},
      {"comm(\"back\\\\slash\")", "comm(back\\slash)"},
      {"comm(\"tab\there\")", "comm(\"tab\there\")"},
      {"comm(caf\xc3\xa9)", "comm(caf\xc3\xa9)"},
      {"exe(/usr/bin/python3.11)", "exe(/usr/bin/python3.11)"},
      {"exe(python3)", "exe(python3)"},
      {"descendants(1234)", "descendants(1234)"},
      {"env_k(HOME)", "env_k(HOME)"},
      {"env_kv(LANG, C.UTF-8)", "env_kv(LANG,C.UTF-8)"},
      {"env_kv( X ,\"\" )", "env_kv(X,\"\")"},
      {"cmdline(^python.*manage\\.py)", "cmdline(^python.*manage\\.py)"},
      {"cmdline(\"--port 80\")", "cmdline(\"--port 80\")"},
      {"cmdline(\"^(a|b)+$\")", "cmdline(\"^(a|b)+$\")"},
      {"cgroup(/user.slice/user-1000.slice)",
       "cgroup(/user.slice/user-1000.slice)"},
      {"and(uid(0))", "and(uid(0))"},
      {"and(uid(0), not(comm(bash)))", "and(uid(0),not(comm(bash)))"},
      {"or(pid(1),pid(2),pid(3))", "or(pid(1),pid(2),pid(3))"},
      {"\tand (\n uid ( 0 ) ,\r\n pid(1) )\n", "and(uid(0),pid(1))"},
      {"or(and(true(),false()),not(or(user(root))))",
       "or(and(true(),false()),not(or(user(root))))"},
  };
  for (const Case& c : cases) {
    Filter filter = MustParse(c.input);
    EXPECT_EQ(filter.ToString(), c.canonical) << "input: " << c.input;
    // The canonical form parses back to itself.
    EXPECT_EQ(MustParse(filter.ToString()).ToString(), c.canonical)
        << "input: " << c.input;
  }
}

TEST(FilterParseTest, TextIsTrimmedSource) {
  EXPECT_EQ(MustParse("  and( uid(0) ,pid(1))\n").text(),
            "and( uid(0) ,pid(1))");
  EXPECT_EQ(MustParse("comm(\"a b\")").text(), "comm(\"a b\")");
}

TEST(FilterParseTest, Errors) {
  struct Case {
    const char* input;
    size_t column;
    const char* message;
    std::string expected;
  };
  const Case cases[] = {
      // Empty input.
      {"", 0, "empty filter", kFilter},
      {"   ", 3, "empty filter", kFilter},
      // Unbalanced parentheses.
      {"and(uid(0)", 10, "unbalanced parenthesis: missing ')'", "',' or ')'"},
      {"and(uid(0) pid(1))", 11, "expected ',' or ')', got word 'pid'",
       "',' or ')'"},
      {"comm(a b)", 7, "expected ',' or ')', got word 'b'", "',' or ')'"},
      {"comm(a\"b\")", 6, "expected ',' or ')', got quoted string \"b\"",
       "',' or ')'"},
      {"uid(0))", 6, "unbalanced parenthesis: extra ')'", "end of input"},
      {")", 0, "unbalanced parenthesis: unexpected ')'", kFilter},
      // Unknown functions.
      {"foo(1)", 0, "unknown function 'foo'", kFunctions},
      {"  foo ( 1 )", 2, "unknown function 'foo'", kFunctions},
      {"and(uid(0), bar())", 12, "unknown function 'bar'", kFunctions},
      // Missing arguments.
      {"uid()", 4, "missing argument: uid() takes 1 argument", "a number"},
      {"uid(,)", 4, "missing argument: uid() takes 1 argument", "a number"},
      {"env_kv(HOME)", 11, "missing argument: env_kv() takes 2 arguments",
       "a variable name or value"},
      {"and()", 4, "missing argument: and() takes at least 1 argument",
       "a filter"},
      {"or(uid(0),)", 10, "missing argument: or() takes at least 1 argument",
       "a filter"},
      {"uid(", 4, "expected a number, got end of input", "a number"},
      {"and(", 4, "expected a filter, got end of input", kFilter},
      // Too many arguments.
      {"not(true(),false())", 11, "too many arguments: not() takes 1 argument",
       "')'"},
      {"true(1)", 5, "too many arguments: true() takes no arguments", "')'"},
      {"uid(1,2)", 6, "too many arguments: uid() takes 1 argument", "')'"},
      {"env_kv(A,B,C)", 11, "too many arguments: env_kv() takes 2 arguments",
       "')'"},
      // Trailing characters.
      {"uid(0) pid(1)", 7, "trailing characters after filter", "end of input"},
      {"uid(0),pid(1)", 6, "trailing characters after filter", "end of input"},
      // Quoted strings.
      {"comm(\"bash)", 5, "unterminated quoted string", "a closing '\"'"},
      {"comm(\"ab\\", 5, "unterminated quoted string", "a closing '\"'"},
      {"uid(0) \"x", 7, "unterminated quoted string", "a closing '\"'"},
      {"comm(\"a\\nb\")", 7, "invalid escape '\\n' in quoted string",
       "\\\" or \\\\"},
      // A call where a value is needed, and the other way round.
      {"uid(pid(1))", 4, "expected a value, got function call 'pid'",
       "a number"},
      {"comm(x())", 5, "expected a value, got function call 'x'",
       "a command name"},
      {"and(1)", 4, "expected a filter, got value '1'", kFilter},
      {"not(\"x\")", 4, "expected a filter, got value \"x\"", kFilter},
      {"bash", 0, "expected a filter, got value 'bash'", kFilter},
      {"(uid(0))", 0, "expected a filter, got '('", kFilter},
      {"uid", 3, "expected '(' after 'uid'", "'('"},
      {"uid 0", 4, "expected '(' after 'uid'", "'('"},
      {"cmdline(())", 8, "expected a regular expression, got '('",
       "a regular expression"},
      // Numbers.
      {"uid(abc)", 4, "expected a number, got word 'abc'", "a number"},
      {"uid(-1)", 4, "expected a number, got word '-1'", "a number"},
      {"pid(+1)", 4, "expected a number, got word '+1'", "a number"},
      {"pid(0x10)", 4, "expected a number, got word '0x10'", "a number"},
      {"pid(\"\")", 4, "expected a number, got quoted string \"\"", "a number"},
      {"uid(4294967296)", 4, "number out of range: 4294967296",
       "a number from 0 to 4294967295"},
      {"pid(2147483648)", 4, "number out of range: 2147483648",
       "a number from 0 to 2147483647"},
      {"descendants(99999999999999999999999)", 12,
       "number out of range: 99999999999999999999999",
       "a number from 0 to 2147483647"},
      // Users.
      {"user(bob)", 5, "unknown user 'bob'", ""},
      {"or(uid(0), user( \"bob smith\"))", 17, "unknown user 'bob smith'", ""},
  };
  for (const Case& c : cases) {
    FilterError err = MustFail(c.input);
    EXPECT_EQ(err.column, c.column) << "input: " << c.input;
    EXPECT_EQ(err.message, c.message) << "input: " << c.input;
    EXPECT_EQ(err.expected, c.expected) << "input: " << c.input;
  }
}

TEST(FilterParseTest, InvalidRegexPointsAtArgument) {
  FilterError err = MustFail("and(uid(0), cmdline( \"a(\"))");
  EXPECT_EQ(err.column, 21u);
  EXPECT_THAT(err.message, HasSubstr("invalid regular expression: "));
  EXPECT_EQ(err.expected, "");

  // Each is invalid alone, though valid inside the (?:...) that wraps it.
  for (const char* text : {"cmdline([z-a])", "cmdline(\"a)(b\")",
                           "cmdline(a\\)", "cmdline(\"(a)\\\\1\")"}) {
    err = MustFail(text);
    EXPECT_EQ(err.column, 8u) << text;
    EXPECT_THAT(err.message, HasSubstr("invalid regular expression: ")) << text;
  }
}

// libstdc++'s regex compiler overflows a long on long numbers (the fuzzer
// found "\3333333333323333333333338412345": undefined behaviour) and
// copies its automaton per repetition; such patterns are refused, with the
// reason, before std::regex sees them.
TEST(FilterParseTest, RegexNumbersAndRepetitionsAreBounded) {
  struct Case {
    const char* input;
    const char* why;  // "" = parses
  };
  const Case cases[] = {
      {"cmdline(\\3333333333323333333333338412345)",
       "a number of more than 4 digits after '\\'"},
      {"cmdline(\\12345)", "a number of more than 4 digits after '\\'"},
      {"cmdline(\\d+)", ""},
      {R"(cmdline("a{99999999999999999999}"))",
       "a repetition count of more than 4 digits"},
      {R"(cmdline("a{2,99999}"))", "a repetition count of more than 4 digits"},
      {R"(cmdline("a{1001}"))", "a repetition count above 1000"},
      {R"(cmdline("a{1000}"))", ""},
      {R"(cmdline("x{3,7}y{2,}"))", ""},
      {R"(cmdline("((a{100}){10}){11}"))",
       "repetition counts that multiply to more than 10000"},
      {R"(cmdline("((a{100}){10}){10}"))", ""},
      // Inside a class, '{' is a character.
      {R"(cmdline("[{]99999"))", ""},
  };
  for (const Case& c : cases) {
    auto parsed = ParseFilter(c.input, nullptr);
    if (*c.why == 0) {
      EXPECT_TRUE(std::holds_alternative<Filter>(parsed)) << c.input;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<FilterError>(parsed)) << c.input;
    const FilterError& err = std::get<FilterError>(parsed);
    EXPECT_EQ(err.column, 8u) << c.input;
    EXPECT_EQ(err.message, std::string("invalid regular expression: ") + c.why)
        << c.input;
  }
}

TEST(FilterParseTest, NestingIsBounded) {
  std::string ok;
  for (int i = 0; i < 99; ++i) ok += "not(";
  ok += "true()" + std::string(99, ')');
  EXPECT_EQ(MustParse(ok).ToString(), ok);

  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "not(";
  deep += "true()" + std::string(100, ')');
  FilterError err = MustFail(deep);
  EXPECT_EQ(err.column, 400u);
  EXPECT_EQ(err.message, "filter nested too deeply");
  EXPECT_EQ(err.expected, "at most 100 nested calls");
}

TEST(FilterParseTest, NoResolverMeansUnknownUser) {
  auto result = ParseFilter("user(root)", UserResolver());
  ASSERT_TRUE(std::holds_alternative<FilterError>(result));
  EXPECT_EQ(std::get<FilterError>(result).message, "unknown user 'root'");
}

scan::ProcessIdentity Bash() {
  scan::ProcessIdentity p;
  p.pid = 1234;
  p.ppid = 1000;
  p.uid = 1000;
  p.comm = "bash";
  p.exe = "/usr/bin/bash";
  p.cmdline = {"bash", "-l"};
  p.cgroup = "/user.slice/user-1000.slice/session-2.scope";
  p.env = {{"HOME", "/home/alice"}, {"LANG", ""}};
  return p;
}

TEST(FilterMatchTest, EveryFunction) {
  const ParentMap parents = {{1234, 1000}, {1000, 1}, {1, 0}};
  const scan::ProcessIdentity bash = Bash();
  struct Case {
    const char* filter;
    bool matches;
  };
  const Case cases[] = {
      {"true()", true},
      {"false()", false},
      {"uid(1000)", true},
      {"uid(0)", false},
      {"user(alice)", true},
      {"user(root)", false},
      {"pid(1234)", true},
      {"pid(1)", false},
      {"ppid(1000)", true},
      {"ppid(1)", false},
      {"comm(bash)", true},
      {"comm(bas)", false},
      {"comm(Bash)", false},
      {"exe(/usr/bin/bash)", true},
      {"exe(bash)", true},
      {"exe(usr/bin/bash)", false},
      {"exe(/usr/bin)", false},
      {"exe(bas)", false},
      {"descendants(1234)", true},
      {"descendants(1000)", true},
      {"descendants(1)", true},
      {"descendants(0)", true},
      {"descendants(999)", false},
      {"env_k(HOME)", true},
      {"env_k(LANG)", true},
      {"env_k(PATH)", false},
      {"env_kv(HOME,/home/alice)", true},
      {"env_kv(HOME,/home)", false},
      {"env_kv(LANG,\"\")", true},
      {"env_kv(PATH,\"\")", false},
      {"cmdline(\"^bash -l$\")", true},
      {"cmdline(sh)", true},
      {"cmdline(^sh)", false},
      {"cmdline(\"bash  -l\")", false},
      {"cmdline(\"-[a-z]\")", true},
      {"cgroup(/user.slice)", true},
      {"cgroup(/user.slice/user-1000.slice/session-2.scope)", true},
      {"cgroup(/user.slice/)", true},
      {"cgroup(/)", true},
      {"cgroup(/user)", false},
      {"cgroup(/system.slice)", false},
      {"cgroup(/user.slice/user-1000.slice/session-2.scope/x)", false},
      {"and(uid(1000),comm(bash))", true},
      {"and(uid(1000),comm(zsh))", false},
      {"or(comm(zsh),pid(1234))", true},
      {"or(false())", false},
      {"not(false())", true},
      {"not(comm(bash))", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MustParse(c.filter).Matches(bash, parents), c.matches)
        << "filter: " << c.filter;
  }
}

// exe() on executables without a real file (scan/exe_name.h): the name an
// operator recognizes, with or without its mark, and the kernel's link.
TEST(FilterMatchTest, ExeDeletedOrMemfd) {
  const ParentMap parents;
  scan::ProcessIdentity deleted = Bash();
  deleted.exe = "/usr/sbin/nginx (deleted)";
  deleted.cmdline = {"nginx: master process"};
  scan::ProcessIdentity memfd = Bash();
  memfd.exe = "/memfd:sealed-9117 (deleted)";
  memfd.cmdline = {"/usr/local/bin/binary_backend", "--port", "80"};
  struct Case {
    const char* filter;
    bool deleted, memfd;
  };
  const Case cases[] = {
      {"exe(/usr/sbin/nginx)", true, false},
      {"exe(nginx)", true, false},
      {"exe(\"/usr/sbin/nginx (deleted)\")", true, false},
      {"exe(\"nginx (deleted)\")", true, false},
      {"exe(\"nginx (memfd)\")", false, false},
      {"exe(binary_backend)", false, true},
      {"exe(\"binary_backend (memfd)\")", false, true},
      {"exe(\"binary_backend (deleted)\")", false, false},
      // The kernel's link still matches, whole or its basename.
      {"exe(\"/memfd:sealed-9117 (deleted)\")", false, true},
      {"exe(\"memfd:sealed-9117 (deleted)\")", false, true},
      // argv[0]'s directory is no executable path.
      {"exe(/usr/local/bin/binary_backend)", false, false},
      {"exe(sealed-9117)", false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MustParse(c.filter).Matches(deleted, parents), c.deleted)
        << "filter: " << c.filter;
    EXPECT_EQ(MustParse(c.filter).Matches(memfd, parents), c.memfd)
        << "filter: " << c.filter;
  }
}

TEST(FilterMatchTest, KernelThread) {
  scan::ProcessIdentity kthread;
  kthread.pid = 2;
  kthread.ppid = 0;
  kthread.comm = "kthreadd";
  kthread.kernel_thread = true;
  const ParentMap parents;
  EXPECT_FALSE(MustParse("exe(\"\")").Matches(kthread, parents));
  EXPECT_FALSE(MustParse("exe(kthreadd)").Matches(kthread, parents));
  EXPECT_TRUE(MustParse("cmdline(^$)").Matches(kthread, parents));
  EXPECT_FALSE(MustParse("cmdline(.)").Matches(kthread, parents));
  EXPECT_TRUE(MustParse("cgroup(\"\")").Matches(kthread, parents));
  EXPECT_FALSE(MustParse("cgroup(/)").Matches(kthread, parents));
}

TEST(FilterMatchTest, DescendantsWithBrokenParentMaps) {
  scan::ProcessIdentity p;
  p.pid = 10;
  p.ppid = 11;
  const Filter of_5 = MustParse("descendants(5)");
  const Filter of_11 = MustParse("descendants(11)");
  const Filter of_12 = MustParse("descendants(12)");

  // A cycle 10 -> 11 -> 12 -> 10 ends the walk.
  const ParentMap cycle = {{10, 11}, {11, 12}, {12, 10}};
  EXPECT_FALSE(of_5.Matches(p, cycle));
  EXPECT_TRUE(of_12.Matches(p, cycle));

  // A process that is its own parent.
  const ParentMap self = {{11, 11}};
  EXPECT_FALSE(of_5.Matches(p, self));
  EXPECT_TRUE(of_11.Matches(p, self));

  // The process itself missing from the map: its own ppid still counts.
  const ParentMap empty;
  EXPECT_TRUE(of_11.Matches(p, empty));
  EXPECT_FALSE(of_12.Matches(p, empty));

  // A missing link in the middle of the chain.
  const ParentMap gap = {{10, 11}, {12, 5}};
  EXPECT_FALSE(of_5.Matches(p, gap));
}

TEST(FilterMatchTest, CmdlineJoinsArgvWithSpaces) {
  scan::ProcessIdentity p;
  p.cmdline = {"python3", "manage.py", "runserver", ""};
  const ParentMap parents;
  EXPECT_TRUE(MustParse("cmdline(\"^python3 manage\\\\.py runserver $\")")
                  .Matches(p, parents));
  EXPECT_TRUE(MustParse("cmdline(manage\\.py)").Matches(p, parents));
  EXPECT_FALSE(MustParse("cmdline(manage\\.pyc)").Matches(p, parents));
}

// std::regex in its default mode overflows the stack on such lines.
TEST(FilterMatchTest, CmdlineOfOneMebibyte) {
  scan::ProcessIdentity p;
  p.cmdline = {"java", "-cp", std::string(1 << 20, 'a'), "Main"};
  const ParentMap parents;
  EXPECT_TRUE(MustParse("cmdline(\"^java -cp a+ Main$\")").Matches(p, parents));
  EXPECT_TRUE(MustParse("cmdline(.*Main)").Matches(p, parents));
  EXPECT_FALSE(MustParse("cmdline(.*x)").Matches(p, parents));
  EXPECT_FALSE(MustParse("cmdline(^a)").Matches(p, parents));
}

TEST(FilterTest, EnvKeys) {
  using Keys = absl::flat_hash_set<std::string>;
  EXPECT_EQ(MustParse("uid(0)").EnvKeys(), Keys());
  EXPECT_EQ(MustParse("env_k(HOME)").EnvKeys(), Keys({"HOME"}));
  EXPECT_EQ(
      MustParse("and(env_k(A),or(env_kv(B,1),not(env_k(A))),uid(0))").EnvKeys(),
      Keys({"A", "B"}));
}

// Which identity files the scanner must read for the expression.
TEST(FilterTest, IdentityFiles) {
  EXPECT_EQ(Filter().IdentityFiles(), 0);
  EXPECT_EQ(MustParse("and(uid(0),comm(a),pid(1),descendants(1),env_k(A))")
                .IdentityFiles(),
            0);
  EXPECT_EQ(MustParse("cmdline(x)").IdentityFiles(), scan::kIdCmdline);
  // exe(): the link, and the command line for a script run by an
  // interpreter or a binary run from a memfd.
  EXPECT_EQ(MustParse("exe(nginx)").IdentityFiles(),
            scan::kIdExe | scan::kIdCmdline);
  EXPECT_EQ(MustParse("not(or(uid(0),cgroup(/system.slice)))").IdentityFiles(),
            scan::kIdCgroup);
  EXPECT_EQ(MustParse("or(cgroup(/a),exe(b))").IdentityFiles(), scan::kIdAll);
}

TEST(FilterTest, DefaultCopyAndMove) {
  const ParentMap parents;
  Filter none;
  EXPECT_EQ(none.ToString(), "true()");
  EXPECT_EQ(none.text(), "true()");
  EXPECT_TRUE(none.Matches(Bash(), parents));

  Filter original = MustParse("comm(zsh)");
  Filter copy = original;
  EXPECT_EQ(copy.ToString(), "comm(zsh)");
  EXPECT_EQ(copy.text(), "comm(zsh)");
  EXPECT_FALSE(copy.Matches(Bash(), parents));
  Filter moved = std::move(original);
  EXPECT_EQ(moved.ToString(), "comm(zsh)");
  none = moved;
  EXPECT_EQ(none.ToString(), "comm(zsh)");
}

TEST(FilterListTest, Splits) {
  auto result = ParseFilterList(
      " and(uid(0), pid(1)) , comm(\"a,b\"),user(alice)", FakeUsers);
  ASSERT_TRUE(std::holds_alternative<std::vector<Filter>>(result));
  const auto& filters = std::get<std::vector<Filter>>(result);
  ASSERT_EQ(filters.size(), 3u);
  EXPECT_EQ(filters[0].ToString(), "and(uid(0),pid(1))");
  EXPECT_EQ(filters[0].text(), "and(uid(0), pid(1))");
  EXPECT_EQ(filters[1].ToString(), "comm(\"a,b\")");
  EXPECT_EQ(filters[1].text(), "comm(\"a,b\")");
  EXPECT_EQ(filters[2].ToString(), "user(alice)");

  auto one = ParseFilterList("uid(0)", FakeUsers);
  ASSERT_TRUE(std::holds_alternative<std::vector<Filter>>(one));
  ASSERT_EQ(std::get<std::vector<Filter>>(one).size(), 1u);
}

TEST(FilterListTest, Errors) {
  struct Case {
    const char* input;
    size_t column;
    const char* message;
    std::string expected;
  };
  const Case cases[] = {
      {"", 0, "empty filter", kFilter},
      {",uid(0)", 0, "empty filter", kFilter},
      {"uid(0),,pid(1)", 7, "empty filter", kFilter},
      {"uid(0), ", 8, "empty filter", kFilter},
      {"uid(0),foo(1)", 7, "unknown function 'foo'", kFunctions},
      {"uid(0), pid(x)", 12, "expected a number, got word 'x'", "a number"},
      {"uid(0),comm(\"a,b)", 12, "unterminated quoted string",
       "a closing '\"'"},
      {"uid(0))", 6, "unbalanced parenthesis: extra ')'",
       "',' or end of input"},
      {"uid(0) pid(1)", 7, "trailing characters after filter",
       "',' or end of input"},
  };
  for (const Case& c : cases) {
    auto result = ParseFilterList(c.input, FakeUsers);
    ASSERT_TRUE(std::holds_alternative<FilterError>(result))
        << "input: " << c.input;
    const FilterError& err = std::get<FilterError>(result);
    EXPECT_EQ(err.column, c.column) << "input: " << c.input;
    EXPECT_EQ(err.message, c.message) << "input: " << c.input;
    EXPECT_EQ(err.expected, c.expected) << "input: " << c.input;
  }
}

TEST(FormatFilterErrorTest, Golden) {
  std::string text = "and(uid(0), foo(1))";
  EXPECT_EQ(FormatFilterError(text, MustFail(text)),
            R"(invalid filter: unknown function 'foo'
  and(uid(0), foo(1))
              ^
  expected one of: and, or, not, true, false, uid, user, pid, ppid, comm, exe, descendants, env_k, env_kv, cmdline, cgroup
)");

  text = "user(bob)";
  EXPECT_EQ(FormatFilterError(text, MustFail(text)),
            R"(invalid filter: unknown user 'bob'
  user(bob)
       ^
)");

  // The caret may sit just past the end; tabs print as spaces.
  text = "and(\tuid(0)";
  EXPECT_EQ(FormatFilterError(text, MustFail(text)),
            "invalid filter: unbalanced parenthesis: missing ')'\n"
            "  and( uid(0)\n"
            "             ^\n"
            "  expected ',' or ')'\n");
}

TEST(SystemUserResolverTest, RejectsNamesGetpwnamCannotTake) {
  UserResolver users = SystemUserResolver();
  EXPECT_EQ(users(""), std::nullopt);
  EXPECT_EQ(users(std::string_view("root\0x", 6)), std::nullopt);
}

}  // namespace
}  // namespace memstats::filters
