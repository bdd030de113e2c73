// Query templates: the YAML format, :name parameters turned into bound $n (never spliced), and
// every template that cannot be served refused at load with its name.
#include "gale/query/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gale::query {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& yaml) {
  auto t = Templates::parse(yaml);
  return t ? "" : t.error().message;
}

std::string one(const std::string& sql, const std::string& params = "") {
  return "queries:\n  - name: q\n    sql: \"" + sql + "\"\n" +
         (params.empty() ? "" : "    params: " + params + "\n");
}

TEST(TemplatesTest, TheShippedBalancesTemplatesLoad) {
  auto t = Templates::load_file(GALE_BALANCES_TEMPLATES);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t.value().all().size(), 5u);
  const Template* history = t.value().find("institution_history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->params.size(), 4u);
  EXPECT_EQ(history->params[1].default_value, std::optional<std::string>("CNY"));
  EXPECT_THAT(history->positional, HasSubstr("minute >= CAST($3 AS timestamptz)"));
  EXPECT_THAT(history->positional, HasSubstr("LIMIT $5 OFFSET $6"));
}

TEST(TemplatesTest, ParametersBecomeCastPlaceholdersOutsideStringsCommentsAndCasts) {
  auto t = Templates::parse(
      one("SELECT ':a' AS s, x::text, $$ :a $$ AS d FROM t /* :a */ WHERE a = :a AND b = :b -- :b",
          "[{name: a, type: integer}, {name: b}]"));
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t.value().find("q")->positional,
            "SELECT ':a' AS s, x::text, $$ :a $$ AS d FROM t /* :a */ WHERE a = CAST($1 AS "
            "bigint) AND b = CAST($2 AS text) -- :b\nLIMIT $3 OFFSET $4");
}

TEST(TemplatesTest, WhatCannotBeServedIsRefusedNamingTheTemplate) {
  EXPECT_EQ(error_of(one("SELECT * FROM t WHERE a = :x")),
            "template 'q': :x is not a declared parameter");
  EXPECT_EQ(error_of(one("SELECT 1", "[{name: a}]")),
            "template 'q': parameter 'a' is not used in its sql");
  EXPECT_EQ(error_of(one("SELECT 1; DROP TABLE t")),
            "template 'q': its sql holds more than one statement");
  EXPECT_THAT(error_of(one("SELECT * FROM t WHERE a = $1")),
              HasSubstr("positional parameters ($1) are not allowed"));
  EXPECT_EQ(error_of(one("DELETE FROM t")),
            "template 'q': the sql must be a query (SELECT, WITH, VALUES or TABLE)");
  EXPECT_THAT(error_of(one("SELECT :a", "[{name: a, type: money}]")),
              HasSubstr("parameter 'a' has type 'money'"));
  EXPECT_THAT(error_of(one("SELECT :a", "[{name: a, type: integer, default: ten}]")),
              HasSubstr("its default: parameter 'a' (integer): \"ten\" is not an integer"));
  EXPECT_THAT(error_of(one("SELECT :limit", "[{name: limit, type: integer}]")),
              HasSubstr("'limit' is the page's own parameter"));
  EXPECT_EQ(error_of("queries:\n  - {name: q, sql: SELECT 1}\n  - {name: q, sql: SELECT 2}\n"),
            "template 'q': the name is used twice");
  EXPECT_EQ(error_of("queries:\n  - {name: 'a b', sql: SELECT 1}\n"),
            "template 'a b': a name of letters, digits, '_' or '-' (1 to 64) is required");
  EXPECT_EQ(error_of("tables: []"), "expected a map with a list 'queries'");
  EXPECT_THAT(error_of(one("SELECT 'open")), HasSubstr("unterminated quote"));
}

TEST(TemplatesTest, ValuesAreCheckedAgainstTheirTypeAndNamed) {
  auto check = [](ParamType type, std::string_view value) {
    auto r = check_value(Param{"p", type, std::nullopt, ""}, value);
    return r ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(check(ParamType::integer, "-42"), "ok");
  EXPECT_EQ(check(ParamType::integer, "1; DROP TABLE t"),
            "parameter 'p' (integer): \"1; DROP TABLE t\" is not an integer");
  EXPECT_EQ(check(ParamType::integer, "99999999999999999999"),
            "parameter 'p' (integer): \"99999999999999999999\" is not an integer");
  EXPECT_EQ(check(ParamType::numeric, "-1234.50"), "ok");
  EXPECT_EQ(check(ParamType::numeric, "1e9"),
            "parameter 'p' (numeric): \"1e9\" is not a decimal number");
  EXPECT_EQ(check(ParamType::boolean, "yes"),
            "parameter 'p' (boolean): \"yes\" is not true or false");
  EXPECT_EQ(check(ParamType::date, "2028-02-29"), "ok");
  EXPECT_EQ(check(ParamType::date, "2026-02-29"),
            "parameter 'p' (date): \"2026-02-29\" is not a date (YYYY-MM-DD)");
  EXPECT_EQ(check(ParamType::timestamp, "2026-11-24T13:00:00.5+08:00"), "ok");
  EXPECT_EQ(
      check(ParamType::timestamp, "2026-11-24 13:00"),
      "parameter 'p' (timestamp): \"2026-11-24 13:00\" is not an RFC 3339 time with its offset");
  EXPECT_EQ(check(ParamType::text, "1; DROP TABLE balances"), "ok") << "text is only ever data";
  EXPECT_THAT(check(ParamType::text, std::string(5000, 'x')), HasSubstr("longer than 4096 bytes"));
}

}  // namespace
}  // namespace gale::query
