// The history in a stateful bolt's checkpointed state: snapshotted as the runtime does (deltas
// of the keys recorded since the previous checkpoint), restored into a new engine after a
// "crash", with the transactions after the checkpoint replayed, the engine raises exactly the
// alerts of one that never stopped.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "gale/events/generator.h"
#include "gale/risk/engine.h"
#include "gale/state.h"

namespace gale::risk {
namespace {

using Store = std::map<std::string, std::map<std::string, std::string>>;  // state -> key -> value

// What the runtime's TaskState does, without a runtime: declared states are loaded from a
// store, and snapshots apply to it.
class StoreContext final : public StateContext {
 public:
  explicit StoreContext(const Store& restored) : restored_(restored) {}
  CheckpointId restored_from() const override { return 0; }

  // Applies a snapshot of every state to `store`; the number of entries written.
  std::size_t snapshot(Store& store, bool full) {
    std::size_t written = 0;
    for (auto& state : states_) {
      auto& entries = store[state->name()];
      if (full) entries.clear();
      Sink sink(entries, written);
      state->snapshot(full, sink);
    }
    return written;
  }

 protected:
  detail::StateBase& declare(std::unique_ptr<detail::StateBase> state) override {
    if (auto found = restored_.find(state->name()); found != restored_.end())
      for (const auto& [key, value] : found->second) state->restore(key, value);
    states_.push_back(std::move(state));
    return *states_.back();
  }

 private:
  class Sink final : public detail::StateSink {
   public:
    Sink(std::map<std::string, std::string>& entries, std::size_t& written)
        : entries_(entries), written_(written) {}
    void put(std::string key, std::string value) override {
      entries_[std::move(key)] = std::move(value);
      ++written_;
    }
    void erase(std::string key) override {
      entries_.erase(key);
      ++written_;
    }

   private:
    std::map<std::string, std::string>& entries_;
    std::size_t& written_;
  };

  const Store& restored_;
  std::vector<std::unique_ptr<detail::StateBase>> states_;
};

std::shared_ptr<const RuleSet> default_rules() {
  auto loaded = load_rules(default_rules_yaml());
  EXPECT_TRUE(loaded) << loaded.error().message;
  return loaded.value();
}

std::vector<events::Transaction> stream(int n) {
  events::GeneratorOptions options;
  options.seed = 5;
  options.accounts = 200;
  options.suspicious = 0.05;
  events::TransactionGenerator generator(options);
  std::vector<events::Transaction> out;
  for (int i = 0; i < n; ++i) out.push_back(generator.next().transaction);
  return out;
}

std::vector<std::string> alert_ids(RiskEngine& engine, const events::Transaction& t) {
  std::vector<std::string> ids;
  for (const Alert& alert : engine.evaluate(t)) ids.push_back(alert.id);
  return ids;
}

TEST(CheckpointedHistoryTest,
     RestoredAfterCrashesRaisesExactlyTheAlertsOfAnEngineThatNeverStopped) {
  const auto rules = default_rules();
  const auto txs = stream(12000);
  RiskEngine reference(rules);
  std::vector<std::vector<std::string>> expected;
  for (const auto& t : txs) expected.push_back(alert_ids(reference, t));

  // Checkpoints every 700 transactions, a full one every 4th; crashes 300 transactions after
  // three of them. The transactions after the last checkpoint are evaluated again, as a spout
  // rewound to the checkpoint emits them again.
  std::set<std::size_t> crashes{2400, 5900, 9100};
  Store store;  // the last complete checkpoint
  std::size_t checkpoint_at = 0, checkpoints = 0, differed_without_state = 0;
  std::vector<std::vector<std::string>> raised(txs.size());
  auto context = std::make_unique<StoreContext>(store);
  auto engine = std::make_unique<RiskEngine>(rules, RiskEngineOptions{},
                                             InMemoryHistory::checkpointed(*context));
  for (std::size_t i = 0; i < txs.size();) {
    if (crashes.erase(i) != 0) {
      // Without the restored state, the replayed part would raise other alerts.
      RiskEngine empty(rules);
      for (std::size_t j = checkpoint_at; j < i; ++j)
        differed_without_state += alert_ids(empty, txs[j]) != expected[j];
      engine.reset();
      context = std::make_unique<StoreContext>(store);
      engine = std::make_unique<RiskEngine>(rules, RiskEngineOptions{},
                                            InMemoryHistory::checkpointed(*context));
      i = checkpoint_at;
      continue;
    }
    raised[i] = alert_ids(*engine, txs[i]);
    ++i;
    if (i % 700 == 0) {
      context->snapshot(store, ++checkpoints % 4 == 0);
      checkpoint_at = i;
    }
  }
  EXPECT_TRUE(crashes.empty());
  EXPECT_GT(differed_without_state, 0u) << "the crashes fell where no state mattered";
  std::size_t alerts = 0;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    ASSERT_EQ(raised[i], expected[i]) << "transaction " << i << " (" << txs[i].id << ")";
    alerts += expected[i].size();
  }
  EXPECT_GT(alerts, 300u);
}

TEST(CheckpointedHistoryTest, ACheckpointWritesOnlyTheCardsAndAccountsRecordedSinceThePrevious) {
  Store store;
  StoreContext context(store);
  auto history = InMemoryHistory::checkpointed(context);
  const auto txs = stream(2000);
  for (const auto& t : txs) history->record(t, 3600 * 1000);
  EXPECT_GT(context.snapshot(store, false), 300u);  // ~200 accounts and their cards
  const auto& last_with_card = *std::find_if(
      txs.rbegin(), txs.rend(), [](const events::Transaction& t) { return !t.card.empty(); });
  history->record(last_with_card, 3600 * 1000);  // one card, one account, the progress
  EXPECT_EQ(context.snapshot(store, false), 3u);
  EXPECT_EQ(context.snapshot(store, false), 0u);  // nothing recorded since
}

TEST(CheckpointedHistoryTest, ACorruptEntryIsRefusedAtRestore) {
  Store store;
  {
    StoreContext context(store);
    auto history = InMemoryHistory::checkpointed(context);
    for (const auto& t : stream(50)) history->record(t, 3600 * 1000);
    context.snapshot(store, true);
  }
  auto& account = store.at("risk.accounts").begin()->second;
  account.resize(account.size() / 2);
  StoreContext restoring(store);
  EXPECT_THROW(InMemoryHistory::checkpointed(restoring), std::runtime_error);
}

}  // namespace
}  // namespace gale::risk
