// The StateStore contract, run against InMemoryStore and a ZooKeeperStore on a real server.
#include <gtest/gtest.h>

#include <memory>

#include "gale/coordination/in_memory_store.h"
#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "watch_recorder.h"

namespace gale::coordination {
namespace {

using testing::WatchRecorder;

struct InMemoryBackend {
  static void set_up() {}
  static void tear_down() {}
  static std::unique_ptr<StateStore> make() { return std::make_unique<InMemoryStore>(); }
};

// One server for the suite; each test gets its own chroot so tests do not see each other.
struct ZooKeeperBackend {
  static inline std::unique_ptr<testing::ZooKeeperServer> server;
  static inline int next_root = 0;

  static void set_up() { server = std::make_unique<testing::ZooKeeperServer>(); }
  static void tear_down() { server.reset(); }
  static std::unique_ptr<StateStore> make() {
    ZooKeeperOptions options;
    options.connect_string = server->connect_string();
    options.root = "/contract-" + std::to_string(next_root++);
    options.session_timeout = std::chrono::seconds(4);
    auto store = ZooKeeperStore::connect(options);
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(store).value();
  }
};

template <class Backend>
class StateStoreContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::set_up(); }
  static void TearDownTestSuite() { Backend::tear_down(); }
  void SetUp() override { store_ = Backend::make(); }

  StateStore& store() { return *store_; }

  std::unique_ptr<StateStore> store_;
};

using Backends = ::testing::Types<InMemoryBackend, ZooKeeperBackend>;
TYPED_TEST_SUITE(StateStoreContractTest, Backends);

TYPED_TEST(StateStoreContractTest, CreatedNodeReadsBackWithVersionZero) {
  auto created = this->store().create("/a", "hello", CreateMode::persistent);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created.value(), "/a");
  auto node = this->store().get("/a");
  ASSERT_TRUE(node && node.value());
  EXPECT_EQ(node.value()->data, "hello");
  EXPECT_EQ(node.value()->version, 0);
  EXPECT_EQ(this->store().exists("/a").value(), true);
}

TYPED_TEST(StateStoreContractTest, MissingNodeReadsAsEmptyNotError) {
  auto node = this->store().get("/missing");
  ASSERT_TRUE(node);
  EXPECT_FALSE(node.value().has_value());
  EXPECT_EQ(this->store().exists("/missing").value(), false);
}

TYPED_TEST(StateStoreContractTest, CreateNeedsParentAndFreePath) {
  EXPECT_EQ(this->store().create("/p/c", "", CreateMode::persistent).code(), StoreErrc::no_node);
  ASSERT_TRUE(this->store().create("/p", "", CreateMode::persistent));
  auto again = this->store().create("/p", "", CreateMode::persistent);
  EXPECT_EQ(again.code(), StoreErrc::node_exists);
  EXPECT_EQ(again.code().category().name(), std::string("gale.coordination.store"));
  EXPECT_NE(again.error().message.find("/p"), std::string::npos) << again.error().message;
}

TYPED_TEST(StateStoreContractTest, SetChecksExpectedVersion) {
  ASSERT_TRUE(this->store().create("/v", "0", CreateMode::persistent));
  EXPECT_EQ(this->store().set("/v", "1", 0).value(), 1);
  EXPECT_EQ(this->store().set("/v", "x", 0).code(), StoreErrc::bad_version);
  EXPECT_EQ(this->store().set("/v", "2").value(), 2);
  EXPECT_EQ(this->store().get("/v").value()->data, "2");
  EXPECT_EQ(this->store().set("/nope", "x").code(), StoreErrc::no_node);
}

TYPED_TEST(StateStoreContractTest, RemoveChecksVersionAndChildren) {
  ASSERT_TRUE(this->store().mkdirs("/r/child"));
  EXPECT_EQ(this->store().remove("/r").code(), StoreErrc::not_empty);
  EXPECT_EQ(this->store().remove("/r/child", 5).code(), StoreErrc::bad_version);
  EXPECT_TRUE(this->store().remove("/r/child", 0));
  EXPECT_TRUE(this->store().remove("/r"));
  EXPECT_EQ(this->store().remove("/r").code(), StoreErrc::no_node);
}

TYPED_TEST(StateStoreContractTest, ChildrenAreSortedNames) {
  ASSERT_TRUE(this->store().mkdirs("/k"));
  for (const char* name : {"b", "c", "a"}) {
    ASSERT_TRUE(this->store().create(join_path("/k", name), "", CreateMode::persistent));
  }
  ASSERT_TRUE(this->store().create("/k/a/deeper", "", CreateMode::persistent));
  EXPECT_EQ(this->store().children("/k").value(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(this->store().children("/none").code(), StoreErrc::no_node);
}

TYPED_TEST(StateStoreContractTest, SequentialNodesGetIncreasingSuffixes) {
  ASSERT_TRUE(this->store().mkdirs("/q"));
  auto first = this->store().create("/q/item-", "1", CreateMode::persistent_sequential);
  auto second = this->store().create("/q/item-", "2", CreateMode::persistent_sequential);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first.value().size(), std::string("/q/item-").size() + 10);
  EXPECT_LT(first.value(), second.value());
  EXPECT_EQ(this->store().get(second.value()).value()->data, "2");
}

TYPED_TEST(StateStoreContractTest, MkdirsCreatesAncestorsAndIsIdempotent) {
  ASSERT_TRUE(this->store().mkdirs("/m/n/o"));
  ASSERT_TRUE(this->store().mkdirs("/m/n/o"));
  EXPECT_EQ(this->store().children("/m/n").value(), std::vector<std::string>{"o"});
}

TYPED_TEST(StateStoreContractTest, MalformedPathsAreRejected) {
  for (const char* bad : {"", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/.."}) {
    EXPECT_EQ(this->store().get(bad).code(), StoreErrc::invalid_path) << bad;
    EXPECT_EQ(this->store().create(bad, "", CreateMode::persistent).code(), StoreErrc::invalid_path)
        << bad;
  }
}

TYPED_TEST(StateStoreContractTest, EphemeralNodesCannotHaveChildren) {
  ASSERT_TRUE(this->store().create("/e", "", CreateMode::ephemeral));
  EXPECT_FALSE(this->store().create("/e/c", "", CreateMode::persistent));
}

TYPED_TEST(StateStoreContractTest, DataWatchFiresOnceForTheFirstChange) {
  ASSERT_TRUE(this->store().create("/w", "0", CreateMode::persistent));
  WatchRecorder watch;
  ASSERT_TRUE(this->store().get_and_watch("/w", watch.callback()));
  ASSERT_TRUE(this->store().set("/w", "1"));
  ASSERT_TRUE(this->store().set("/w", "2"));
  // Callbacks run in order on one thread: once the later sentinel fired, a second firing of
  // the first watch would have been recorded already.
  WatchRecorder sentinel;
  ASSERT_TRUE(this->store().get_and_watch("/w", sentinel.callback()));
  ASSERT_TRUE(this->store().set("/w", "3"));
  ASSERT_TRUE(sentinel.wait_for(1));
  ASSERT_EQ(watch.events().size(), 1u);
  EXPECT_EQ(watch.events()[0].type, WatchEventType::data_changed);
  EXPECT_EQ(watch.events()[0].path, "/w");
}

TYPED_TEST(StateStoreContractTest, DataWatchOnAbsentNodeFiresOnCreation) {
  WatchRecorder watch;
  auto node = this->store().get_and_watch("/later", watch.callback());
  ASSERT_TRUE(node);
  EXPECT_FALSE(node.value().has_value());
  ASSERT_TRUE(this->store().create("/later", "x", CreateMode::persistent));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::created);
}

TYPED_TEST(StateStoreContractTest, DataWatchFiresOnDeletion) {
  ASSERT_TRUE(this->store().create("/gone", "x", CreateMode::persistent));
  WatchRecorder watch;
  ASSERT_TRUE(this->store().get_and_watch("/gone", watch.callback()));
  ASSERT_TRUE(this->store().remove("/gone"));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::deleted);
}

TYPED_TEST(StateStoreContractTest, ChildrenWatchFiresOnNewChild) {
  ASSERT_TRUE(this->store().mkdirs("/parent"));
  WatchRecorder watch;
  auto names = this->store().children_and_watch("/parent", watch.callback());
  ASSERT_TRUE(names);
  EXPECT_TRUE(names.value().empty());
  ASSERT_TRUE(this->store().create("/parent/kid", "", CreateMode::ephemeral));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::children_changed);
  EXPECT_EQ(watch.events()[0].path, "/parent");
}

TYPED_TEST(StateStoreContractTest, ChildrenWatchOnMissingNodeIsNoNode) {
  WatchRecorder watch;
  EXPECT_EQ(this->store().children_and_watch("/absent", watch.callback()).code(),
            StoreErrc::no_node);
}

TYPED_TEST(StateStoreContractTest, WatchCallbackMayReadAndRewatch) {
  ASSERT_TRUE(this->store().create("/loop", "0", CreateMode::persistent));
  WatchRecorder seen;
  StateStore& store = this->store();
  std::function<void(const WatchEvent&)> rewatch = [&](const WatchEvent& event) {
    auto node = store.get_and_watch("/loop", rewatch);
    if (node && node.value()) seen.callback()(WatchEvent{event.type, node.value()->data});
  };
  ASSERT_TRUE(store.get_and_watch("/loop", rewatch));
  ASSERT_TRUE(store.set("/loop", "1"));
  ASSERT_TRUE(seen.wait_for(1));
  ASSERT_TRUE(store.set("/loop", "2"));
  ASSERT_TRUE(seen.wait_for(2));
  EXPECT_EQ(seen.events()[1].path, "2");  // the data read in the callback
  this->store_.reset();                   // before `rewatch` goes: no callback may run after this
}

}  // namespace
}  // namespace gale::coordination
