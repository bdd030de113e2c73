// Templates: each language renders its text with the change and profile filled in; a bad
// templates file is refused naming the language and the problem.
#include "gale/notify/templates.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace gale::notify {
namespace {

events::AccountChange change() {
  events::AccountChange c;
  c.event_id = "chg-1";
  c.account = "NL01GALE0000000042";
  c.kind = "debit";
  c.amount_minor = 125050;
  c.balance_after_minor = -1999;
  c.currency = "EUR";
  c.description = "Albert Heijn";
  c.ts_ms = 1795519800000;  // 2026-11-24T11:30:00Z
  return c;
}

events::CustomerProfile profile(std::string language) {
  events::CustomerProfile p;
  p.name = "Ada";
  p.language = std::move(language);
  return p;
}

TEST(TemplatesTest, EveryDefaultLanguageRendersEveryField) {
  auto loaded = Templates::load(Templates::default_yaml());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded.value()->render(change(), profile("en")),
            "Dear Ada, your account NL01GALE0000000042 was debited 1250.50 EUR (Albert Heijn) at "
            "11:30 UTC. Balance: -19.99 EUR.");
  EXPECT_NE(loaded.value()->render(change(), profile("nl")).find("gedebiteerd met 1250.50"),
            std::string::npos);
  auto credit = change();
  credit.kind = "credit";
  EXPECT_NE(loaded.value()->render(credit, profile("de")).find("gutgeschrieben"),
            std::string::npos);
  EXPECT_NE(loaded.value()->render(credit, profile("fr")).find("crédité"), std::string::npos);
  EXPECT_EQ(loaded.value()->render(change(), profile("xx")),
            loaded.value()->render(change(), profile("en")))
      << "an unknown language gets the fallback";
}

TEST(TemplatesTest, BadTemplatesAreRefusedNamingTheProblem) {
  auto unknown =
      Templates::load("templates: {en: 'hi {nmae}'}\nkinds: {en: {debit: d, credit: c}}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "templates.en: unknown placeholder {nmae}");
  auto unclosed =
      Templates::load("templates: {en: 'hi {name'}\nkinds: {en: {debit: d, credit: c}}");
  EXPECT_EQ(unclosed.error().message, "templates.en: an unclosed '{'");
  auto no_kinds = Templates::load("templates: {en: 'hi'}");
  EXPECT_EQ(no_kinds.error().message, "kinds.en: missing the words for debit and credit");
  auto no_fallback =
      Templates::load("fallback: nl\ntemplates: {en: 'hi'}\nkinds: {en: {debit: d, credit: c}}");
  EXPECT_EQ(no_fallback.error().message, "fallback: no template for 'nl'");
  EXPECT_FALSE(Templates::load("templates: [a, b]"));
  EXPECT_NE(Templates::load("{{{").error().message.find("not YAML"), std::string::npos);
  auto missing = Templates::load_file("/nonexistent/templates.yaml");
  EXPECT_EQ(missing.error().message, "/nonexistent/templates.yaml: cannot read");
}

TEST(TemplatesTest, ErrorsCarryTheirNotifyErrc) {
  EXPECT_STREQ(notify_category().name(), "gale.notify");
  EXPECT_EQ(Templates::load("{{{").code(), NotifyErrc::not_yaml);
  EXPECT_EQ(Templates::load("templates: [a, b]").code(), NotifyErrc::bad_templates);
  EXPECT_EQ(Templates::load("templates: {en: 'hi'}").code(), NotifyErrc::bad_templates);
  auto missing = Templates::load_file("/nonexistent/templates.yaml");
  EXPECT_EQ(missing.code(), NotifyErrc::unreadable);
  EXPECT_EQ(missing.code().message(), "unreadable");

  // A file's error keeps the code of what was wrong inside it.
  const std::string path = ::testing::TempDir() + "/notify_errc_templates.yaml";
  std::ofstream(path) << "templates: {en: 'hi {nmae}'}\nkinds: {en: {debit: d, credit: c}}\n";
  auto bad = Templates::load_file(path);
  EXPECT_EQ(bad.code(), NotifyErrc::bad_templates);
  EXPECT_EQ(bad.error().message, path + ": templates.en: unknown placeholder {nmae}");
  std::remove(path.c_str());
}

TEST(TemplatesTest, AmountsKeepTheirCentsAndSign) {
  EXPECT_EQ(format_amount(0), "0.00");
  EXPECT_EQ(format_amount(5), "0.05");
  EXPECT_EQ(format_amount(-1999), "-19.99");
  EXPECT_EQ(format_amount(100000000), "1000000.00");
}

}  // namespace
}  // namespace gale::notify
