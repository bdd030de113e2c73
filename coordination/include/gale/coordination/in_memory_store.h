#pragma once
// InMemoryStore: a StateStore held in memory, for unit tests of the layers above it. It has
// one session; expire_session() ends it the way a ZooKeeper server would (its ephemeral nodes
// go, and the watches on them fire), then starts a new one. Nothing is re-created: it models
// what the rest of the cluster sees when this client's session expires.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gale/coordination/state_store.h"

namespace gale::coordination {

class CallbackThread;

class InMemoryStore final : public StateStore {
 public:
  InMemoryStore();
  // Joins the callback thread after running the callbacks already due.
  ~InMemoryStore() override;

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

  // Removes this session's ephemeral nodes (firing their watches) and starts a new session.
  // Thread-safe.
  void expire_session();

 private:
  struct Node {
    std::string data;
    std::int32_t version = 0;
    std::int64_t ephemeral_owner = 0;  // session id, 0 for persistent nodes
    std::int64_t next_sequence = 0;    // suffix of this node's next sequential child
  };
  struct Watches {
    std::vector<WatchCallback> data;
    std::vector<WatchCallback> children;
  };

  // All private helpers expect mutex_ held.
  Status create_locked(const std::string& path, std::string_view data, CreateMode mode,
                       std::string& created);
  Status remove_locked(const std::string& path, std::int32_t expected_version);
  std::vector<std::string> child_names_locked(const std::string& path) const;
  // Posts and forgets the watches of one kind (data or children) set on `path`.
  void fire_locked(const std::string& path, WatchEventType type,
                   std::vector<WatchCallback> Watches::*kind);

  std::mutex mutex_;
  std::map<std::string, Node> nodes_;  // by path; "/" always present
  std::map<std::string, Watches> watches_;
  std::int64_t session_id_ = 1;
  std::unique_ptr<CallbackThread> callbacks_;  // last: destroyed first, while state exists
};

}  // namespace gale::coordination
