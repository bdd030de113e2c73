// ZooKeeperStore against a real server: session expiry recovery, restarts within the session
// timeout, and operations that span an outage.
#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <future>
#include <thread>

#include "gale/coordination/cluster_state.h"
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

// An outage longer than the operation timeout costs a caller one timeout, not one per
// operation: once an operation has waited its whole timeout, the next fail at once with
// connection_loss until the connection is back; then everything works again.
TEST_F(ZooKeeperStoreTest, AfterOneOperationTimedOutTheNextFailAtOnceUntilReconnected) {
  ZooKeeperOptions options;
  options.connect_string = server_.connect_string();
  options.session_timeout = ZooKeeperServer::kMaxSessionTimeout;
  options.operation_timeout = std::chrono::milliseconds(1500);
  // The connect waits one operation timeout too: on a loaded machine a just-started server may
  // take longer to answer (seen once in CI), which is not what this test is about.
  auto connected = ZooKeeperStore::connect(options);
  for (int attempt = 1; attempt < 5 && !connected; ++attempt)
    connected = ZooKeeperStore::connect(options);
  ASSERT_TRUE(connected) << connected.error().message;
  auto& store = *connected;
  ASSERT_TRUE(store->create("/n", "x", CreateMode::persistent));
  server_.stop();

  auto begin = Clock::now();
  auto first = store->get("/n");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, StoreErrc::connection_loss) << first.error().message;
  EXPECT_GE(Clock::now() - begin, options.operation_timeout) << "gave up before its timeout";
  for (int i = 0; i < 5; ++i) {
    begin = Clock::now();
    auto next = store->set("/n", "y");
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().code, StoreErrc::connection_loss);
    EXPECT_LT(Clock::now() - begin, options.operation_timeout / 3) << "waited again, call " << i;
  }

  server_.start();
  // Back: an operation waits for the reconnection again and succeeds.
  Result<std::optional<NodeData>> back = store->get("/n");
  for (auto until = Clock::now() + std::chrono::seconds(20); !back && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // fails at once until back
    back = store->get("/n");
  }
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value()->data, "x") << "a refused set must not have happened";
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

// A topology's workers hold the topology's own identity (ClusterState::admit_workers): they
// read what they run from and write their heartbeats, and nothing else of the cluster: not the
// tokens, not another topology's keys, not a record or an assignment.
TEST_F(ZooKeeperAclTest, AWorkersIdentityReadsItsTopologyAndWritesOnlyItsHeartbeats) {
  const std::string a = "payments-1-1700000000", b = "ledger-2-1700000001";
  const std::string a_identity = "topology-" + a + ":a-secret";
  auto nimbus_store = connect("gale:s3cret");
  ASSERT_TRUE(nimbus_store) << nimbus_store.error().message;
  ClusterState nimbus(**nimbus_store);
  ASSERT_TRUE(nimbus.init());
  ASSERT_TRUE(nimbus.set_token({"admin", "admin", std::string(64, 'a'), 1}));
  const std::string key_a(40, 'A'), key_b(40, 'B');
  for (const auto& [id, key] : {std::pair{a, key_a}, std::pair{b, key_b}}) {
    ASSERT_TRUE(nimbus.set_topology({id,
                                     id.substr(0, id.find('-')),
                                     TopologyStatus::active,
                                     {{"redis.password", "p"}},
                                     std::string(64, '0'),
                                     1,
                                     "alice"}));
    ASSERT_TRUE(nimbus.set_credentials(id, {key, key, "topology-" + id + ":secret-of-" + id}));
    ASSERT_TRUE(nimbus.set_assignment({id, {{1, {"sup-a", "127.0.0.1", 6700}}}, {{1, 1}}, 1, 1}));
  }
  ASSERT_TRUE(nimbus.set_blob(a, "rules", "before"));
  ASSERT_TRUE(nimbus.admit_workers(a, a_identity));
  ASSERT_TRUE(nimbus.admit_workers(b, "topology-" + b + ":secret-of-" + b));
  ASSERT_TRUE(nimbus.set_blob(a, "lists", "after"));  // a blob added later: readable too

  auto worker_store = connect(a_identity);
  ASSERT_TRUE(worker_store) << worker_store.error().message;
  ClusterState worker(**worker_store);
  auto record = worker.topology(a);
  ASSERT_TRUE(record && *record) << (record ? "none" : record.error().message);
  EXPECT_EQ((*record)->owner, "alice");
  auto assignment = worker.assignment(a);
  ASSERT_TRUE(assignment && *assignment);
  auto credentials = worker.credentials(a);
  ASSERT_TRUE(credentials && *credentials);
  EXPECT_EQ((*credentials)->curve_secret, key_a);
  auto keys = worker.blob_keys(a);
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<std::string>{"lists", "rules"}));
  EXPECT_EQ(worker.blob(a, "lists").value()->data, "after");
  EXPECT_EQ(worker.blob(a, "rules").value()->data, "before");
  WorkerHeartbeat beat{a, "127.0.0.1", 6700, 5, 1};
  auto written = worker.write_heartbeat(beat);
  ASSERT_TRUE(written) << written.error().message;
  beat.time_secs = 6;
  written = worker.write_heartbeat(beat);  // and again, over its own node
  ASSERT_TRUE(written) << written.error().message;

  // Nothing else: each refused by ZooKeeper itself.
  EXPECT_EQ(worker.credentials(b).code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.topology(b).code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.token("admin").code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.set_token({"evil", "admin", std::string(64, 'e'), 1}).code(),
            StoreErrc::not_authorized);
  EXPECT_EQ(worker.topology_ids().code(), StoreErrc::not_authorized);
  TopologyRecord forged = **record;
  forged.owner = "mallory";
  EXPECT_EQ(worker.set_topology(forged).code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.set_assignment(**assignment).code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.set_blob(a, "rules", "forged").code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.write_heartbeat({b, "127.0.0.1", 6701, 5, 1}).code(), StoreErrc::not_authorized);
  EXPECT_EQ(worker.remove_credentials(a).code(), StoreErrc::not_authorized);

  // What topology code writes into its folder cannot stop Nimbus reading the rest: a node that
  // is no heartbeat is passed over.
  ASSERT_TRUE(
      (*worker_store)->create("/workerbeats/" + a + "/junk", "not json", CreateMode::persistent));

  // The cluster's identity still reads and removes what the worker wrote.
  auto beats = nimbus.heartbeats(a);
  ASSERT_TRUE(beats);
  ASSERT_EQ(beats->size(), 1u);
  EXPECT_EQ(beats->front().time_secs, 6);
  EXPECT_TRUE(nimbus.remove_heartbeats(a));
  EXPECT_TRUE(nimbus.heartbeats(a).value().empty());
  EXPECT_EQ(nimbus.blob(a, "rules").value()->data, "before");
}

TEST_F(ZooKeeperAclTest, APayloadThatIsNotUserColonPasswordIsRefusedByName) {
  auto refused = connect("just-a-password");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("storm.zookeeper.auth.payload"), std::string::npos);
}

}  // namespace
}  // namespace gale::coordination
