#pragma once
// ZooKeeperStore: the StateStore over the ZooKeeper C client (zookeeper_mt).
//
// Connection loss and session expiry are handled as ZooKeeper documents them:
//  - CONNECTIONLOSS on an operation means "outcome unknown": the store waits for the client to
//    reconnect and then re-reads before retrying (a create checks whether the node is there with
//    our data, a conditional set whether the version moved by one to our data, a remove whether
//    the node is gone), all within the operation timeout. A lost persistent_sequential create
//    cannot be told apart from another client's, so it returns connection_loss at once. Once an
//    operation has waited its whole timeout, later ones return connection_loss at once until
//    the connection is back (an outage costs a caller one timeout, not one per operation).
//  - The session survives disconnections shorter than the session timeout; the C client
//    reconnects and re-sets watches by itself.
//  - Only on expiry is a new session opened. Then the ephemeral nodes this store created (and
//    has not removed) are re-created with their latest data, and every one-shot watch that has
//    not fired yet is re-set; a watch whose node changed while no session existed fires at once.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gale/config.h"
#include "gale/coordination/state_store.h"

namespace gale::coordination {

struct ZooKeeperOptions {
  std::string connect_string = "127.0.0.1:2181";  // "host:port[,host:port...]"
  // Every path is relative to this node (ZooKeeper's chroot); created at connect if missing.
  // "/" for none.
  std::string root = "/gale";
  std::chrono::milliseconds session_timeout{10000};  // the server may clamp it
  // How long one operation (and connect) keeps retrying across connection loss and session
  // recovery before it returns connection_loss or session_expired.
  std::chrono::milliseconds operation_timeout{15000};
  // "user:password" for the digest scheme: every session authenticates with it, and every node
  // the store creates (the root too) is readable and writable by that identity only, unless a
  // grant (StateStore::grant) on its parent lets another identity in too. Empty:
  // no authentication, nodes open to all (ZooKeeper's OPEN_ACL_UNSAFE).
  std::string auth_payload{};

  // A daemon's options from its config: storm.zookeeper.servers, .root, .session.timeout,
  // .operation.timeout and .auth.payload, each the value set or the schema's default.
  static ZooKeeperOptions from(const Config& conf);
};

enum class SessionEvent {
  connected,              // the first session is established
  suspended,              // the connection dropped; the session may still be alive
  reconnected,            // the connection is back within the same session
  expired_and_recovered,  // the session expired; a new one holds our ephemerals and watches
};

// Thread: runs on the store's callback thread, like watch callbacks, in order with them.
using SessionListener = std::function<void(SessionEvent)>;

// The session's id and password, as zoo_client_id reports them (for diagnostics and tests).
struct SessionCredentials {
  std::int64_t id = 0;
  std::string password;
};

class ZooKeeperStore final : public StateStore {
 public:
  // Connects and waits for a session (up to the operation timeout), creating options.root if
  // missing. connection_loss if no server answered; other for a malformed connect string or
  // an auth payload that is not "user:password".
  static Result<std::unique_ptr<ZooKeeperStore>> connect(const ZooKeeperOptions& options,
                                                         SessionListener listener = {});
  // Closes the session (its ephemeral nodes go at once), then runs the callbacks already due.
  // No call may be in progress, and no callback may use the store after this.
  ~ZooKeeperStore() override;

  Result<std::string> create(std::string_view path, std::string_view data,
                             CreateMode mode) override;
  Result<std::optional<NodeData>> get(std::string_view path) override;
  Result<std::int32_t> set(std::string_view path, std::string_view data,
                           std::int32_t expected_version = -1) override;
  Status remove(std::string_view path, std::int32_t expected_version = -1) override;
  Result<std::vector<std::string>> children(std::string_view path) override;
  Result<bool> exists(std::string_view path) override;
  Result<std::optional<NodeData>> get_and_watch(std::string_view path,
                                                WatchCallback callback) override;
  Result<std::vector<std::string>> children_and_watch(std::string_view path,
                                                      WatchCallback callback) override;
  Status mkdirs(std::string_view path) override;
  Status grant(std::string_view path, const std::string& payload, Access access) override;
  Result<bool> open_to_anyone(std::string_view path) override;
  std::uint64_t interruptions() const override;

  SessionCredentials session() const;

  class Impl;  // private; named here only so the implementation file can define it

 private:
  explicit ZooKeeperStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gale::coordination
