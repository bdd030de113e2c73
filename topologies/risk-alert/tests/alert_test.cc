// Alert ids are deterministic, and alert_to_json has the documented shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace gale::risk {
namespace {

using namespace gale::risk::testing;

TEST(AlertTest, IdIsFnv1aOfRuleAndTransaction) {
  EXPECT_EQ(alert_id("large-amount", "tx-1"), "4c383dded50f1d63");  // computed independently
  EXPECT_EQ(alert_id("large-amount", "tx-1"), alert_id("large-amount", "tx-1"));
  EXPECT_NE(alert_id("large-amount", "tx-2"), alert_id("large-amount", "tx-1"));
  EXPECT_NE(alert_id("card-velocity", "tx-1"), alert_id("large-amount", "tx-1"));
  // The separator keeps ("a|b", "c") and ("a", "b|c") apart only by position; the rule ids and
  // transaction ids Gale uses have no '|'.
  EXPECT_EQ(alert_id("", "").size(), 16u);
}

TEST(AlertTest, JsonCarriesTheAlertAndTheTransaction) {
  RiskEngine engine(rules(R"yaml(
rules:
  - {id: large, kind: threshold, severity: high, when: "tx.amount >= 100"}
)yaml"));
  const std::vector<Alert> alerts = engine.evaluate(with_amount(tx("tx-9"), 12'345));
  ASSERT_EQ(alerts.size(), 1u);
  const nlohmann::json json = nlohmann::json::parse(alert_to_json(alerts[0]));
  EXPECT_EQ(json["alert_id"], alert_id("large", "tx-9"));
  EXPECT_EQ(json["rule"], "large");
  EXPECT_EQ(json["severity"], "high");
  EXPECT_EQ(json["kind"], "threshold");
  EXPECT_EQ(json["evidence"], (nlohmann::json{{"amount", 123.45}}));
  EXPECT_EQ(json["transaction"]["id"], "tx-9");
  EXPECT_EQ(json["transaction"]["account"], "acct-1");
  EXPECT_EQ(json["transaction"]["amount"], 123.45);
}

}  // namespace
}  // namespace gale::risk
