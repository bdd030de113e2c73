// Keyed state, checkpoint parts, chains and garbage collection, against the in-memory backend.
#include "gale/state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gale/state/backend.h"
#include "gale/state/part.h"
#include "gale/state/savepoint.h"
#include "gale/testing/redis_server.h"

namespace gale::state {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// Collects what a state writes into a StateDelta, as the runtime does.
class Sink final : public detail::StateSink {
 public:
  void put(std::string key, std::string value) override {
    d.entries.emplace_back(std::move(key), std::move(value));
  }
  void erase(std::string key) override { d.entries.emplace_back(std::move(key), std::nullopt); }
  StateDelta d;
};

template <typename S>
StateDelta snapshot(S& state, bool full) {
  Sink sink;
  sink.d.name = state.name();
  sink.d.type = state.type();
  state.snapshot(full, sink);
  return sink.d;
}

TEST(StateCodecTest, RoundTripsNestedTypesAndNamesThem) {
  using T = std::map<std::string, std::vector<std::pair<std::int64_t, double>>>;
  T v{{"a", {{1, 2.5}, {-3, 0.0}}}, {"b", {}}};
  EXPECT_EQ(detail::decode_one<T>(detail::encode_one(v), "t"), v);
  EXPECT_EQ(Codec<T>::name(), "map<string,vector<pair<i64,f64>>>");
  EXPECT_EQ(Codec<bool>::name(), "bool");
  EXPECT_EQ(Codec<std::uint32_t>::name(), "u32");
}

TEST(StateCodecTest, RefusesTruncatedAndTrailingBytes) {
  std::string bytes = detail::encode_one(std::string("hello"));
  EXPECT_THROW(detail::decode_one<std::string>(bytes.substr(0, 6), "k"), std::runtime_error);
  try {
    detail::decode_one<std::int32_t>(bytes, "balance");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("balance: 5 bytes left over"));
  }
}

TEST(KeyValueStateTest, SnapshotsOnlyWhatChangedSinceTheLastOne) {
  KeyValueState<std::string, std::int64_t> counts("counts");
  counts.put("a", 1);
  counts.put("b", 2);
  counts.mutate("a") += 10;
  StateDelta first = snapshot(counts, false);
  ASSERT_EQ(first.entries.size(), 2u);  // "a" once, though changed twice
  EXPECT_EQ(first.type, "key_value<string,i64>");

  counts.put("c", 3);
  EXPECT_TRUE(counts.remove("b"));
  EXPECT_FALSE(counts.remove("zz"));
  StateDelta second = snapshot(counts, false);
  ASSERT_EQ(second.entries.size(), 2u);
  EXPECT_EQ(second.entries[0].first, detail::encode_one(std::string("c")));
  EXPECT_EQ(second.entries[1].first, detail::encode_one(std::string("b")));
  EXPECT_FALSE(second.entries[1].second.has_value());  // b erased

  EXPECT_TRUE(snapshot(counts, false).entries.empty());
  EXPECT_EQ(snapshot(counts, true).entries.size(), 2u);  // a and c
}

TEST(KeyValueStateTest, AKeyRemovedThenPutAgainIsWrittenWithItsValue) {
  KeyValueState<int, int> s("s");
  s.put(1, 5);
  snapshot(s, false);
  s.remove(1);
  s.put(1, 7);
  StateDelta d = snapshot(s, false);
  KeyValueState<int, int> restored("s");
  for (const auto& [k, v] : d.entries)
    if (v) restored.restore(k, *v);
  EXPECT_EQ(restored.get(1, 0), 7);
}

TEST(PartTest, EncodesAndDecodesEveryField) {
  TaskPart part;
  part.prev = 41;
  part.full = false;
  part.position = std::string("\0\1offset", 8);
  part.states.push_back({"counts", "key_value<string,i64>", {{"k", "v"}, {"gone", std::nullopt}}});
  auto back = decode_part(encode_part(part));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->prev, 41u);
  EXPECT_FALSE(back->full);
  EXPECT_EQ(back->position, part.position);
  ASSERT_EQ(back->states.size(), 1u);
  EXPECT_EQ(back->states[0].entries, part.states[0].entries);
}

TEST(PartTest, ThePartsLinkIsInItsFirstBytes) {
  TaskPart part;
  part.prev = 0x0102030405060708;
  part.full = false;
  part.component = "count";
  part.states.push_back({"s", "t", {{"k", "v"}}});
  const std::string bytes = encode_part(part);
  auto link = decode_link(std::string_view(bytes).substr(0, kPartLinkBytes));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->prev, part.prev);
  EXPECT_FALSE(link->full);
  auto first = decode_link(encode_part(TaskPart{0, true, "count", std::nullopt, {}}));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->prev, 0u);
  EXPECT_TRUE(first->full);
  EXPECT_FALSE(decode_link(std::string_view(bytes).substr(0, kPartLinkBytes - 1)));
  EXPECT_FALSE(decode_link("\x95\x01\xc3 not a fixed-width link"));
}

TEST(PartTest, ACorruptPartIsAnErrorNamingIt) {
  auto r = decode_part("\x93\x01\x02");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StateErrc::corrupt);
  EXPECT_THAT(r.error().message, HasSubstr("checkpoint part"));
}

// Writes task 7's parts 1 (full), 2 and 3 (deltas) of topology `name`.
void write_chain(StateBackend& b, const std::string& name) {
  TaskPart p1{0, true, "", std::nullopt, {{"s", "t", {{"a", "1"}, {"b", "2"}}}}};
  TaskPart p2{1, false, "", std::nullopt, {{"s", "t", {{"a", "10"}}}}};
  TaskPart p3{2, false, "", std::nullopt, {{"s", "t", {{"b", std::nullopt}, {"c", "3"}}}}};
  ASSERT_TRUE(b.write_part(name, 1, 7, encode_part(p1)).ok());
  ASSERT_TRUE(b.write_part(name, 2, 7, encode_part(p2)).ok());
  ASSERT_TRUE(b.write_part(name, 3, 7, encode_part(p3)).ok());
}

// Every backend test runs against the in-memory backend and against Redis.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      backend_ = memory_backend();
      return;
    }
    redis_ = std::make_unique<testing::RedisServer>();
    Config conf;
    ASSERT_EQ(conf.set(conf::kTopologyStateBackend, "redis").status, ConfigResult::Status::ok);
    ASSERT_EQ(conf.set("redis.port", redis_->port()).status, ConfigResult::Status::ok);
    auto b = make_backend(conf, false);
    ASSERT_TRUE(b.ok()) << b.error().message;
    backend_ = *b;
  }
  StateBackend& backend() { return *backend_; }

  std::unique_ptr<testing::RedisServer> redis_;
  std::shared_ptr<StateBackend> backend_;
};

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

TEST_P(BackendTest, RestoresATaskFromItsChainOfParts) {
  auto& b = backend();
  write_chain(b, "restore-chain");
  auto r = restore_task(b, "restore-chain", 3, 7, "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->chain, 3);
  EXPECT_THAT(r->states.at("s").entries, ElementsAre(Pair("a", "10"), Pair("c", "3")));
  auto at2 = restore_task(b, "restore-chain", 2, 7, "");
  ASSERT_TRUE(at2.ok());
  EXPECT_THAT(at2->states.at("s").entries, ElementsAre(Pair("a", "10"), Pair("b", "2")));
}

TEST_P(BackendTest, APartsHeadIsReadAlone) {
  auto& b = backend();
  write_chain(b, "heads");
  auto head = b.read_part_head("heads", 2, 7, kPartLinkBytes);
  ASSERT_TRUE(head.ok()) << head.error().message;
  ASSERT_TRUE(*head);
  EXPECT_EQ((*head)->size(), kPartLinkBytes);
  auto link = decode_link(**head);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->prev, 1u);
  EXPECT_FALSE(link->full);
  auto missing = b.read_part_head("heads", 9, 7, kPartLinkBytes);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
}

TEST_P(BackendTest, AMissingPartIsNamed) {
  auto& b = backend();
  write_chain(b, "missing-part");
  ASSERT_TRUE(b.remove("missing-part", std::vector<PartKey>{{7, 1}}, {}).ok());
  auto r = restore_task(b, "missing-part", 3, 7, "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("task 7's part 1 is missing"));
}

TEST_P(BackendTest, GarbageCollectionKeepsWhatRetainedCheckpointsNeed) {
  auto& b = backend();
  const std::string name = "collect";
  write_chain(b, name);
  // Task 8 writes full parts each time; checkpoint 4 is in flight (not complete).
  for (CheckpointId id = 1; id <= 4; ++id)
    ASSERT_TRUE(b.write_part(name, id, 8, encode_part(TaskPart{})).ok());
  for (CheckpointId id = 1; id <= 3; ++id)
    ASSERT_TRUE(b.complete(name, {id, 0, 0, 0, {{7, 1}, {8, 1}}}, 0).ok());
  ASSERT_TRUE(collect_garbage(b, name, 1).ok());
  auto parts = b.parts(name);
  ASSERT_TRUE(parts.ok());
  // Checkpoint 3 needs all of task 7's chain, and task 8's part 3; part 4 is in flight.
  EXPECT_THAT(*parts, UnorderedElementsAre(Pair(7, 1u), Pair(7, 2u), Pair(7, 3u), Pair(8, 3u),
                                           Pair(8, 4u)));
  auto done = b.completed(name);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(done->front().id, 3u);
  EXPECT_TRUE(restore_task(b, name, 3, 7, "").ok());
}

TEST_P(BackendTest, RecordsBegunIdsPartsAndCompletedCheckpoints) {
  auto& b = backend();
  const std::string name = "records";
  ASSERT_TRUE(b.begin(name, 5).ok());
  ASSERT_TRUE(b.begin(name, 3).ok());  // never lowered
  EXPECT_EQ(*b.last_begun(name), 5u);
  ASSERT_TRUE(b.write_part(name, 5, 2, std::string("\0\1\2", 3)).ok());
  ASSERT_TRUE(b.write_part(name, 5, 9, "x").ok());
  auto stored = b.stored(name, 5);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  auto part = b.read_part(name, 5, 2);
  ASSERT_TRUE(part.ok() && *part);
  EXPECT_EQ(**part, std::string("\0\1\2", 3));  // binary-safe
  EXPECT_FALSE(*b.read_part(name, 6, 2));
  ASSERT_TRUE(b.complete(name, {5, 1700000000000, 12, 4, {{2, 3}, {9, 1}}}, 0).ok());
  auto done = b.completed(name);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(done->front().duration_ms, 12);
  EXPECT_EQ(done->front().triggered_ms, 1700000000000);
  ASSERT_EQ(done->front().parts.size(), 2u);
  EXPECT_EQ(done->front().parts[1].task, 9);
  EXPECT_TRUE(b.completed("another-topology")->empty());
}

TEST_P(BackendTest, ACoordinatorOfAnOlderEpochCannotCompleteACheckpoint) {
  auto& b = backend();
  const std::string name = "fenced";
  ASSERT_TRUE(b.complete(name, {1, 0, 0, 0, {}}, 3).ok());
  ASSERT_TRUE(b.fence(name, 4).ok());
  ASSERT_TRUE(b.fence(name, 2).ok());  // never lowered
  auto refused = b.complete(name, {2, 0, 0, 0, {}}, 3);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StateErrc::fenced);
  ASSERT_TRUE(b.complete(name, {3, 0, 0, 0, {}}, 4).ok());
  auto done = b.completed(name);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ(done->back().id, 3u);
}

TEST(BackendConfigTest, AnUnknownBackendIsRefusedByName) {
  Config conf;
  ASSERT_EQ(conf.set(conf::kTopologyStateBackend, "etcd").status, ConfigResult::Status::ok);
  auto r = make_backend(conf, false);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("topology.state.backend 'etcd': unknown backend"));
}

}  // namespace

TEST_P(BackendTest, ASavepointKeepsEveryTasksStateAsOneFullPartUnderItsName) {
  auto& b = backend();
  const std::string name = "saved-topology";
  write_chain(b, name);
  TaskPart spout{0, true, "numbers", std::string("p=42"), {}};
  ASSERT_TRUE(b.write_part(name, 3, 8, encode_part(spout)).ok());
  SavepointInfo info;
  info.name = "before-upgrade";
  info.topology_id = name;
  info.topology_name = "saved";
  info.owner = "alice";
  info.taken_by = "bob";
  // No complete checkpoint yet: nothing to save.
  auto none = take_savepoint(b, info);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, StateErrc::not_found);
  ASSERT_TRUE(b.complete(name, {3, 0, 0, 0, {{7, 1}, {8, 1}}}, 0).ok());

  auto taken = take_savepoint(b, info);
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_EQ(taken->checkpoint, 3u);
  EXPECT_THAT(taken->tasks, ElementsAre(Pair(7, ""), Pair(8, "numbers")));
  auto again = take_savepoint(b, info);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StateErrc::exists);

  // The original's checkpoints may go; the savepoint stays whole, one full part per task.
  ASSERT_TRUE(b.remove(name, std::vector<PartKey>{{7, 1}, {7, 2}, {7, 3}, {8, 3}},
                       std::vector<CheckpointId>{3})
                  .ok());
  auto found = find_savepoint(b, "before-upgrade");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->topology_name, "saved");
  EXPECT_EQ(found->owner, "alice");
  EXPECT_EQ(found->taken_by, "bob");
  EXPECT_EQ(found->tasks, taken->tasks);
  const std::string space = savepoint_namespace("before-upgrade");
  auto task7 = restore_task(b, space, found->checkpoint, 7, "");
  ASSERT_TRUE(task7.ok()) << task7.error().message;
  EXPECT_EQ(task7->chain, 1);
  EXPECT_THAT(task7->states.at("s").entries, ElementsAre(Pair("a", "10"), Pair("c", "3")));
  auto task8 = restore_task(b, space, found->checkpoint, 8, "numbers");
  ASSERT_TRUE(task8.ok());
  EXPECT_EQ(task8->position, "p=42");

  EXPECT_EQ(find_savepoint(b, "no-such").error().code, StateErrc::not_found);
  EXPECT_TRUE(check_savepoint_tasks(*found, {{7, ""}, {8, "numbers"}, {9, "new"}}).ok());
  auto moved = check_savepoint_tasks(*found, {{7, ""}, {8, "count"}});
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, StateErrc::incompatible);
  EXPECT_THAT(moved.error().message,
              HasSubstr("holds component 'numbers' as tasks 8, which in this topology are none"));
  // A component with more tasks would spread its keys over tasks holding others' state.
  auto grown = check_savepoint_tasks(*found, {{7, ""}, {8, "numbers"}, {9, "numbers"}});
  ASSERT_FALSE(grown.ok());
  EXPECT_THAT(grown.error().message, HasSubstr("as tasks 8, which in this topology are 8,9"));
}

TEST_P(BackendTest, TheHistoryKeepsCompletedRecordsNewestFirstAfterGarbageCollection) {
  auto& b = backend();
  const std::string name = "history";
  for (CheckpointId id = 1; id <= 3; ++id)
    ASSERT_TRUE(
        b.complete(name, {id, static_cast<std::int64_t>(id) * 1000, 5, 10 * id, {{1, 10 * id}}}, 0)
            .ok());
  ASSERT_TRUE(b.remove(name, {}, std::vector<CheckpointId>{1, 2}).ok());
  auto history = b.history(name, 2);
  ASSERT_TRUE(history.ok()) << history.error().message;
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].id, 3u);
  EXPECT_EQ((*history)[0].triggered_ms, 3000);
  EXPECT_EQ((*history)[0].bytes, 30u);
  ASSERT_EQ((*history)[0].parts.size(), 1u);
  EXPECT_EQ((*history)[0].parts[0].bytes, 30u);
  EXPECT_EQ((*history)[1].id, 2u);
  EXPECT_EQ(b.history(name, 10)->size(), 3u);
  EXPECT_TRUE(b.history("no-such-topology", 10)->empty());
}

TEST_P(BackendTest, DroppingATopologyDeletesItsStateAndLeavesOthers) {
  auto& b = backend();
  write_chain(b, "dropped");
  write_chain(b, "kept");
  ASSERT_TRUE(b.complete("dropped", {3, 0, 0, 0, {{7, 1}}}, 0).ok());
  ASSERT_TRUE(b.fence("dropped", 4).ok());
  ASSERT_TRUE(b.drop("dropped").ok());
  EXPECT_TRUE(b.parts("dropped")->empty());
  EXPECT_TRUE(b.completed("dropped")->empty());
  EXPECT_TRUE(b.history("dropped", 10)->empty());
  EXPECT_TRUE(b.complete("dropped", {5, 0, 0, 0, {}}, 0).ok()) << "the fence went too";
  EXPECT_EQ(b.parts("kept")->size(), 3u);
}

}  // namespace gale::state
