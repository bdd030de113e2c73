// ZooKeeperStore against a real server: session expiry recovery, restarts within the session
// timeout, and operations that span an outage.
#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <future>
#include <thread>

#include "gale/coordination/zookeeper_store.h"
#include "gale/testing/zookeeper_server.h"
#include "watch_recorder.h"

namespace gale::coordination {
namespace {

using testing::Recorder;
using testing::WatchRecorder;
using testing::ZooKeeperServer;
using Clock = std::chrono::steady_clock;

// Expires `session` the way ZooKeeper documents for tests: a second handle joins the session
// with its id and password, then closes it, which ends the session on the server.
void expire(const std::string& connect_string, const SessionCredentials& session) {
  clientid_t id{};
  id.client_id = session.id;
  std::copy(session.password.begin(), session.password.end(), id.passwd);
  zhandle_t* zh = zookeeper_init(connect_string.c_str(), nullptr, 4000, &id, nullptr, 0);
  ASSERT_NE(zh, nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (zoo_state(zh) != ZOO_CONNECTED_STATE && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(zoo_state(zh), ZOO_CONNECTED_STATE);
  zookeeper_close(zh);
}

class ZooKeeperStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ZooKeeperStore> connect(std::chrono::milliseconds session_timeout,
                                          SessionListener listener = {}) {
    ZooKeeperOptions options;
    options.connect_string = server_.connect_string();
    options.session_timeout = session_timeout;
    auto store = ZooKeeperStore::connect(options, std::move(listener));
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(store).value() : nullptr;
  }

  static bool saw(const std::vector<SessionEvent>& events, SessionEvent event) {
    return std::find(events.begin(), events.end(), event) != events.end();
  }

  ZooKeeperServer server_;
};

TEST_F(ZooKeeperStoreTest, RootIsCreatedAndConfinesPaths) {
  auto store = connect(std::chrono::seconds(4));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create("/inside", "x", CreateMode::persistent));
  ZooKeeperOptions bare;
  bare.connect_string = server_.connect_string();
  bare.root = "/";
  auto whole = ZooKeeperStore::connect(bare);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole.value()->get("/gale/inside").value()->data, "x");
}

TEST_F(ZooKeeperStoreTest, WatchFiresOnChangeByAnotherClient) {
  auto watcher = connect(std::chrono::seconds(4));
  auto writer = connect(std::chrono::seconds(4));
  ASSERT_TRUE(watcher && writer);
  ASSERT_TRUE(writer->create("/shared", "0", CreateMode::persistent));
  WatchRecorder watch;
  ASSERT_TRUE(watcher->get_and_watch("/shared", watch.callback()));
  ASSERT_TRUE(writer->set("/shared", "1"));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::data_changed);
}

TEST_F(ZooKeeperStoreTest, SessionExpiryRecreatesEphemeralsAndRearmsWatches) {
  Recorder<SessionEvent> sessions;
  auto store = connect(std::chrono::seconds(2), sessions.callback());
  auto observer = connect(std::chrono::seconds(4));
  ASSERT_TRUE(store && observer);
  ASSERT_TRUE(store->create("/member", "v1", CreateMode::ephemeral));
  ASSERT_TRUE(store->set("/member", "v2"));  // re-created with the latest data
  WatchRecorder watch;
  ASSERT_TRUE(store->get_and_watch("/flag", watch.callback()));
  const SessionCredentials before = store->session();

  expire(server_.connect_string(), before);

  ASSERT_TRUE(sessions.wait_for_event(SessionEvent::expired_and_recovered));
  EXPECT_NE(store->session().id, before.id);
  auto member = observer->get("/member");
  ASSERT_TRUE(member && member.value());
  EXPECT_EQ(member.value()->data, "v2");
  EXPECT_TRUE(watch.events().empty());

  ASSERT_TRUE(observer->create("/flag", "", CreateMode::persistent));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::created);
}

TEST_F(ZooKeeperStoreTest, WatchWhoseNodeChangedDuringExpiryFiresOnRecovery) {
  Recorder<SessionEvent> sessions;
  auto store = connect(std::chrono::seconds(2), sessions.callback());
  auto observer = connect(std::chrono::seconds(4));
  ASSERT_TRUE(store && observer);
  ASSERT_TRUE(observer->create("/peer", "", CreateMode::ephemeral));
  WatchRecorder watch;
  ASSERT_TRUE(store->children_and_watch("/", watch.callback()));
  // The change lands while the old session is dead and before the new one re-sets the watch,
  // or after: either way the watch must report it exactly once.
  expire(server_.connect_string(), store->session());
  ASSERT_TRUE(observer->remove("/peer"));
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::children_changed);
}

TEST_F(ZooKeeperStoreTest, ServerRestartWithinSessionTimeoutKeepsTheSession) {
  Recorder<SessionEvent> sessions;
  auto store = connect(ZooKeeperServer::kMaxSessionTimeout, sessions.callback());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create("/mine", "x", CreateMode::ephemeral));
  WatchRecorder watch;
  ASSERT_TRUE(store->get_and_watch("/mine", watch.callback()));
  const auto session = store->session().id;
  EXPECT_EQ(store->interruptions(), 0u);

  server_.stop();
  ASSERT_TRUE(sessions.wait_for_event(SessionEvent::suspended));
  server_.start();
  ASSERT_TRUE(sessions.wait_for_event(SessionEvent::reconnected));
  EXPECT_EQ(store->session().id, session);
  EXPECT_EQ(store->interruptions(), 1u) << "Nimbus's monitor learns of the outage from this";
  EXPECT_EQ(store->get("/mine").value()->data, "x");

  ASSERT_TRUE(store->set("/mine", "y"));  // the client re-set the watch on reconnect
  ASSERT_TRUE(watch.wait_for(1));
  EXPECT_EQ(watch.events()[0].type, WatchEventType::data_changed);
  EXPECT_FALSE(saw(sessions.events(), SessionEvent::expired_and_recovered));
}

TEST_F(ZooKeeperStoreTest, OperationDuringOutageCompletesAfterReconnect) {
  auto store = connect(ZooKeeperServer::kMaxSessionTimeout);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create("/counter", "0", CreateMode::persistent));
  server_.stop();
  auto pending = std::async(std::launch::async, [&] { return store->set("/counter", "1", 0); });
  server_.start();
  auto version = pending.get();
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(version.value(), 1);
  EXPECT_EQ(store->get("/counter").value()->data, "1");
}

}  // namespace
}  // namespace gale::coordination

namespace gale::coordination {
namespace {

// storm.zookeeper.auth.payload: a client without Gale's digest can neither read nor write under
// Gale's root, in a real ZooKeeper, whether it uses Gale's store or the bare C client.
class ZooKeeperAclTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<ZooKeeperStore>> connect(const std::string& payload) {
    ZooKeeperOptions options;
    options.connect_string = server_.connect_string();
    options.root = "/gale-acl";
    options.auth_payload = payload;
    return ZooKeeperStore::connect(options);
  }

  testing::ZooKeeperServer server_;
};

TEST_F(ZooKeeperAclTest, OnlyTheDigestIdentityReadsOrWritesGalesNodes) {
  auto gale = connect("gale:s3cret");
  ASSERT_TRUE(gale) << gale.error().message;
  ASSERT_TRUE((*gale)->create("/storms", "", CreateMode::persistent));
  ASSERT_TRUE((*gale)->create("/storms/payments", "record", CreateMode::persistent));
  ASSERT_TRUE((*gale)->create("/supervisors", "", CreateMode::persistent));
  ASSERT_TRUE((*gale)->create("/supervisors/sup-a", "me", CreateMode::ephemeral));

  // The same identity in another session reads and writes.
  auto peer = connect("gale:s3cret");
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ((*peer)->get("/storms/payments").value()->data, "record");
  EXPECT_TRUE((*peer)->set("/storms/payments", "changed"));

  // Gale's store with another password or none: refused, and the error says why.
  for (const std::string payload : {"gale:wrong", ""}) {
    auto other = connect(payload);
    ASSERT_TRUE(other) << other.error().message;  // the root exists; exists() needs no right
    auto read = (*other)->get("/storms/payments");
    ASSERT_FALSE(read) << payload;
    EXPECT_EQ(read.code(), StoreErrc::not_authorized) << read.error().message;
    EXPECT_EQ((*other)->children("/").code(), StoreErrc::not_authorized);
    EXPECT_EQ((*other)->set("/storms/payments", "forged").code(), StoreErrc::not_authorized);
    EXPECT_EQ((*other)->create("/storms/evil", "x", CreateMode::persistent).code(),
              StoreErrc::not_authorized);
  }

  // The bare C client, as an attacker would use it, on the absolute paths.
  zhandle_t* zh =
      zookeeper_init(server_.connect_string().c_str(), nullptr, 4000, nullptr, nullptr, 0);
  ASSERT_NE(zh, nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (zoo_state(zh) != ZOO_CONNECTED_STATE && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  char buffer[64];
  int length = sizeof buffer;
  EXPECT_EQ(zoo_get(zh, "/gale-acl/storms/payments", 0, buffer, &length, nullptr), ZNOAUTH);
  String_vector names{};
  EXPECT_EQ(zoo_get_children(zh, "/gale-acl", 0, &names), ZNOAUTH);
  EXPECT_EQ(zoo_set(zh, "/gale-acl/storms/payments", "forged", 6, -1), ZNOAUTH);
  EXPECT_EQ(zoo_delete(zh, "/gale-acl/supervisors/sup-a", -1), ZNOAUTH);
  EXPECT_EQ(zoo_create(zh, "/gale-acl/evil", "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZNOAUTH);
  ACL_vector acl{};
  Stat stat{};
  EXPECT_EQ(zoo_get_acl(zh, "/gale-acl/storms/payments", &acl, &stat), ZNOAUTH);
  // With the digest, the ACL shows that identity alone, and not its password.
  ASSERT_EQ(zoo_add_auth(zh, "digest", "gale:s3cret", 11, nullptr, nullptr), ZOK);
  ASSERT_EQ(zoo_get_acl(zh, "/gale-acl/storms/payments", &acl, &stat), ZOK);
  ASSERT_EQ(acl.count, 1);
  EXPECT_STREQ(acl.data[0].id.scheme, "digest");
  EXPECT_EQ(std::string(acl.data[0].id.id).rfind("gale:", 0), 0u);
  EXPECT_EQ(std::string(acl.data[0].id.id).find("s3cret"), std::string::npos);
  deallocate_ACL_vector(&acl);
  zookeeper_close(zh);
  EXPECT_EQ((*gale)->get("/storms/payments").value()->data, "changed");
}

TEST_F(ZooKeeperAclTest, APayloadThatIsNotUserColonPasswordIsRefusedByName) {
  auto refused = connect("just-a-password");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("storm.zookeeper.auth.payload"), std::string::npos);
}

}  // namespace
}  // namespace gale::coordination
