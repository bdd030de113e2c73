#pragma once
// StateStore: the raw coordination store (Storm's IStateStorage). A tree of nodes addressed by
// absolute paths, each holding bytes and a version, with ephemeral nodes tied to the store's
// session and one-shot watches. ZooKeeperStore is the real implementation, InMemoryStore the
// one for unit tests of higher layers. Only ClusterState knows which paths Gale uses.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/coordination/errc.h"

namespace gale::coordination {

enum class CreateMode {
  persistent,
  ephemeral,             // removed when the store's session ends
  persistent_sequential  // the path gets a 10-digit, monotonically increasing suffix
};

// What a grant gives another identity on a node: reading it (and listing its children), or
// every right: also writing it, creating and removing nodes beneath it, and reading and setting
// its ACL (ZooKeeper shows the identities in an ACL only to a holder of that right, and a node
// created beneath takes the folder's ACL, so an identity that creates nodes needs it).
enum class Access { read, all };

struct NodeData {
  std::string data;
  std::int32_t version = 0;  // 0 on creation, +1 per set
};

enum class WatchEventType { created, deleted, data_changed, children_changed };

struct WatchEvent {
  WatchEventType type;
  std::string path;  // the watched path, as the caller gave it
};

// A one-shot watch: called at most once, for the first change after it was set.
// Thread: runs on the store's single callback thread (one per store instance, owned by it),
// in the order events happened. It may call the store (for instance to re-read and re-watch)
// but should not block for long: it delays every later callback of that store.
using WatchCallback = std::function<void(const WatchEvent&)>;

// Checks the path syntax: absolute, no trailing slash (except "/" itself), and no empty, "."
// or ".." component, no NUL character. Returns invalid_path with a message otherwise.
Status validate_path(std::string_view path);

// "/a/b" -> "/a"; "/a" -> "/". Precondition: path is valid and not "/".
std::string parent_path(std::string_view path);

// "/a" + "b" -> "/a/b"; "/" + "b" -> "/b".
std::string join_path(std::string_view parent, std::string_view child);

// All methods are thread-safe, may block (a ZooKeeper round trip, and retries while the
// connection is down, bounded by the store's operation timeout) and must not be called from
// a context that the store's progress depends on, apart from watch callbacks as noted above.
// Every path is checked with validate_path first.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Creates a node holding `data`; its parent must exist (no_node otherwise). Returns the
  // created path, which differs from `path` only for persistent_sequential.
  virtual Result<std::string> create(std::string_view path, std::string_view data,
                                     CreateMode mode) = 0;

  // The node's data and version, or an empty optional if there is no node at `path`.
  virtual Result<std::optional<NodeData>> get(std::string_view path) = 0;

  // Replaces the data if the version is `expected_version` (or unconditionally for -1).
  // Returns the new version; no_node or bad_version otherwise.
  virtual Result<std::int32_t> set(std::string_view path, std::string_view data,
                                   std::int32_t expected_version = -1) = 0;

  // Removes a childless node whose version is `expected_version` (any version for -1).
  // no_node, bad_version or not_empty otherwise.
  virtual Status remove(std::string_view path, std::int32_t expected_version = -1) = 0;

  // The names (not paths) of the node's children, sorted; no_node if there is no node.
  virtual Result<std::vector<std::string>> children(std::string_view path) = 0;

  virtual Result<bool> exists(std::string_view path) = 0;

  // Like get, and atomically sets a one-shot data watch: fires `created` if the node was
  // absent, else `data_changed` or `deleted`.
  virtual Result<std::optional<NodeData>> get_and_watch(std::string_view path,
                                                        WatchCallback callback) = 0;

  // Like children, and atomically sets a one-shot watch firing `children_changed` when a
  // child is created or removed, or `deleted` when the node goes. no_node (and no watch) if
  // there is no node.
  virtual Result<std::vector<std::string>> children_and_watch(std::string_view path,
                                                              WatchCallback callback) = 0;

  // Creates `path` and any missing ancestors as empty persistent nodes; succeeds if they
  // already exist.
  virtual Status mkdirs(std::string_view path) = 0;

  // Lets the digest identity of `payload` ("user:password") use the node at `path` with
  // `access`, beside the store's own identity, which keeps every right; a node created beneath
  // it later gets the same ACL. Replaces any earlier grant on the node. A store without
  // identities (InMemoryStore, or ZooKeeper without an auth payload) has nothing to restrict
  // and only checks its arguments.
  virtual Status grant(std::string_view path, const std::string& payload, Access access) {
    if (auto valid = validate_path(path); !valid) return valid;
    if (payload.find(':') == std::string::npos || payload.front() == ':')
      return make_error(StoreErrc::other, "grant on " + std::string(path) +
                                              ": the identity is not \"user:password\"");
    (void)access;
    return {};
  }

  // Whether the node's ACL lets in any client at all (ZooKeeper's world:anyone), as nodes made
  // without an auth payload do. A store without identities says false.
  virtual Result<bool> open_to_anyone(std::string_view path) {
    if (auto valid = validate_path(path); !valid) return valid.error();
    return false;
  }

  // How many times so far the store has lost its connection or its session. A reader that sees
  // the count change across some reads knows that they may show a state from before an outage
  // (Nimbus's monitor then judges no worker). A store that cannot be disconnected keeps 0.
  virtual std::uint64_t interruptions() const { return 0; }
};

}  // namespace gale::coordination
