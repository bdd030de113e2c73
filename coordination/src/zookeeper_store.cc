#include "gale/coordination/zookeeper_store.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "callback_thread.h"
#include "gale/common/base64.h"

namespace gale::coordination {
namespace {

using Clock = std::chrono::steady_clock;

// Owns a zhandle_t; zookeeper_close ends the session and joins the client's threads, so the
// last owner must not be one of those threads (only store and caller threads hold one).
using ZHandle = std::shared_ptr<zhandle_t>;

// Owns the strings zoo_get_children fills in.
struct ChildList {
  String_vector names{0, nullptr};
  ChildList() = default;
  ChildList(const ChildList&) = delete;
  ChildList& operator=(const ChildList&) = delete;
  ~ChildList() { deallocate_String_vector(&names); }

  std::vector<std::string> sorted() const {
    std::vector<std::string> out(names.data, names.data + names.count);
    std::sort(out.begin(), out.end());
    return out;
  }
};

bool is_retriable(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
         rc == ZINVALIDSTATE;
}

StoreErrc to_errc(int rc) {
  switch (rc) {
    case ZOK:
      return StoreErrc::ok;
    case ZNONODE:
      return StoreErrc::no_node;
    case ZNODEEXISTS:
      return StoreErrc::node_exists;
    case ZBADVERSION:
      return StoreErrc::bad_version;
    case ZNOTEMPTY:
      return StoreErrc::not_empty;
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
      return StoreErrc::connection_loss;
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
      return StoreErrc::session_expired;
    case ZCLOSING:
      return StoreErrc::closed;
    case ZNOAUTH:
    case ZAUTHFAILED:
      return StoreErrc::not_authorized;
    default:
      return StoreErrc::other;
  }
}

Error zk_error(int rc, std::string_view op, std::string_view path) {
  return make_error(to_errc(rc), std::string(op) + " " + std::string(path) + ": " + zerror(rc));
}

int to_zk_mode(CreateMode mode) {
  switch (mode) {
    case CreateMode::persistent:
      return ZOO_PERSISTENT;
    case CreateMode::ephemeral:
      return ZOO_EPHEMERAL;
    case CreateMode::persistent_sequential:
      return ZOO_PERSISTENT_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

std::optional<WatchEventType> to_watch_event(int type) {
  if (type == ZOO_CREATED_EVENT) return WatchEventType::created;
  if (type == ZOO_DELETED_EVENT) return WatchEventType::deleted;
  if (type == ZOO_CHANGED_EVENT) return WatchEventType::data_changed;
  if (type == ZOO_CHILD_EVENT) return WatchEventType::children_changed;
  return std::nullopt;  // session events, "not watching"
}

// The C client's own log lines, on the client's threads.
void log_to_spdlog(const char* message) {
  spdlog::warn("zookeeper client: {}", message);
}

void quiet_client_logging() {
  static std::once_flag once;
  std::call_once(once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR); });
}

// Reads a node's data into `out`, growing the buffer until the data fits.
int read_node(zhandle_t* zh, const std::string& path, watcher_fn watcher, void* context,
              std::string& out, Stat& stat) {
  out.resize(4096);
  for (;;) {
    int length = static_cast<int>(out.size());
    const int rc = watcher
                       ? zoo_wget(zh, path.c_str(), watcher, context, out.data(), &length, &stat)
                       : zoo_get(zh, path.c_str(), 0, out.data(), &length, &stat);
    if (rc != ZOK) return rc;
    if (stat.dataLength <= static_cast<int>(out.size())) {
      out.resize(std::max(length, 0));
      return ZOK;
    }
    out.resize(static_cast<std::size_t>(stat.dataLength));  // grew in between: read again
  }
}

enum class Retry { after_reread, never };

}  // namespace

// ZooKeeper's digest id of a "user:password" payload: "user:" + base64(SHA-1(payload)).
std::string digest_id(const std::string& payload) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  ::SHA1(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest);
  return payload.substr(0, payload.find(':')) + ":" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// The ACL a node gets when nothing else decides: all permissions for the digest identity of
// `payload` only, or OPEN_ACL_UNSAFE without one; and that identity's entry, for a grant to
// add another identity beside it.
class NodeAcl {
 public:
  explicit NodeAcl(const std::string& payload) {
    if (payload.empty()) return;
    id_ = digest_id(payload);
    acl_ = ACL{ZOO_PERM_ALL, Id{scheme_.data(), id_.data()}};
    vector_ = ACL_vector{1, &acl_};
  }
  NodeAcl(const NodeAcl&) = delete;
  NodeAcl& operator=(const NodeAcl&) = delete;

  bool open() const { return id_.empty(); }
  struct ACL_vector* get() {
    return open() ? &ZOO_OPEN_ACL_UNSAFE : &vector_;
  }
  const ACL& own() const { return acl_; }

 private:
  std::string scheme_ = "digest";
  std::string id_;
  ACL acl_{};
  ACL_vector vector_{};
};

// An ACL read from ZooKeeper (zoo_get_acl allocates it), freed with this object.
class ReadAcl {
 public:
  ReadAcl() = default;
  ReadAcl(const ReadAcl&) = delete;
  ReadAcl& operator=(const ReadAcl&) = delete;
  ~ReadAcl() { deallocate_ACL_vector(&acl_); }
  ACL_vector* get() { return &acl_; }
  // Open to everyone: world:anyone is among its entries.
  bool open() const {
    for (int i = 0; i < acl_.count; ++i)
      if (std::string_view(acl_.data[i].id.scheme) == "world") return true;
    return false;
  }

 private:
  ACL_vector acl_{0, nullptr};
};

class ZooKeeperStore::Impl {
 public:
  Impl(ZooKeeperOptions options, SessionListener listener)
      : options_(std::move(options)), listener_(std::move(listener)), acl_(options_.auth_payload) {}

  struct ACL_vector* acl() {
    return acl_.get();
  }
  bool open() const { return acl_.open(); }
  const ACL& own_acl() const { return acl_.own(); }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    state_changed_.notify_all();
    if (session_thread_.joinable()) session_thread_.join();
    ZHandle last;
    {
      std::lock_guard lock(mutex_);
      last = std::move(handle_);
    }
    // `last` closes here, outside the lock: the client's threads may still want it.
  }

  // Opens the first session and waits for it; starts the recovery thread.
  Status start() {
    quiet_client_logging();
    if (auto status = open_handle(); !status) return status;
    if (!wait_connected(Clock::now() + options_.operation_timeout)) {
      return make_error(StoreErrc::connection_loss,
                        "connect " + options_.connect_string + ": no server answered within " +
                            std::to_string(options_.operation_timeout.count()) + " ms");
    }
    session_thread_ = std::thread([this] { recover_sessions(); });
    return {};
  }

  // Runs `attempt(zh, after_loss)` until it returns a non-retriable code or time runs out.
  // `after_loss` tells the attempt that an earlier try's outcome is unknown, so it re-reads
  // first. Thread: any caller thread.
  // Once one operation has waited its whole timeout for a lost connection, later ones fail at
  // once (nothing attempted) until the connection is back: an outage costs a caller one
  // operation timeout, not one per operation (a Nimbus request makes several).
  template <class Attempt>
  int run(Attempt&& attempt, Retry retry = Retry::after_reread) {
    if (given_up()) return ZCONNECTIONLOSS;
    const auto deadline = Clock::now() + options_.operation_timeout;
    bool after_loss = false;
    for (;;) {
      auto [zh, generation] = current();
      if (!zh) return ZCLOSING;
      const int rc = attempt(zh.get(), after_loss);
      if (!is_retriable(rc) || retry == Retry::never) return rc;
      if (Clock::now() >= deadline) {
        give_up();
        return rc;
      }
      after_loss = true;
      wait_for_change(generation, deadline);
    }
  }

  bool given_up() {
    std::lock_guard lock(mutex_);
    return given_up_ && link_ != Link::connected;
  }
  void give_up() {
    std::lock_guard lock(mutex_);
    if (link_ != Link::connected) given_up_ = true;
  }

  // A watch id registered with the C client as the watcher context (an integer, not a
  // pointer, so no lifetime ties the client's copy to ours).
  std::uint64_t add_watch(std::string path, bool children, WatchCallback callback) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_watch_id_++;
    watches_.emplace(id, WatchEntry{std::move(path), children, std::move(callback), 0});
    return id;
  }

  // Records the zxid that the watch's read observed, or forgets the watch if the server did
  // not arm it.
  void settle_watch(std::uint64_t id, bool armed, std::int64_t zxid) {
    std::lock_guard lock(mutex_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return;  // fired already
    if (armed) {
      it->second.seen_zxid = zxid;
    } else {
      watches_.erase(it);
    }
  }

  void remember_ephemeral(const std::string& path, std::string_view data) {
    std::lock_guard lock(mutex_);
    ephemerals_[path] = std::string(data);
  }
  void update_ephemeral(const std::string& path, std::string_view data) {
    std::lock_guard lock(mutex_);
    if (auto it = ephemerals_.find(path); it != ephemerals_.end()) it->second = data;
  }
  void forget_ephemeral(const std::string& path) {
    std::lock_guard lock(mutex_);
    ephemerals_.erase(path);
  }

  std::int64_t session_id() const {
    std::lock_guard lock(mutex_);
    return handle_ ? zoo_client_id(handle_.get())->client_id : 0;
  }

  std::uint64_t interruptions() const { return interruptions_.load(); }

  SessionCredentials credentials() const {
    std::lock_guard lock(mutex_);
    if (!handle_) return {};
    const clientid_t* id = zoo_client_id(handle_.get());
    return {id->client_id, std::string(id->passwd, sizeof id->passwd)};
  }

  // The C client's watcher for one watch; `context` is the watch id.
  // Thread: the C client's completion thread; must not call the client synchronously.
  static void on_watch(zhandle_t* zh, int type, int /*state*/, const char* /*path*/,
                       void* context) {
    const auto event = to_watch_event(type);
    if (!event) return;
    auto* self = static_cast<Impl*>(const_cast<void*>(zoo_get_context(zh)));
    self->fire_watch(zh, reinterpret_cast<std::uintptr_t>(context), *event);
  }

 private:
  enum class Link { connecting, connected, suspended, expired };

  struct WatchEntry {
    std::string path;
    bool children;  // a children watch, else a data watch
    WatchCallback callback;
    // What the read saw: the node's mzxid (data watch) or pzxid (children watch), 0 if the
    // node was absent. After a session expiry a different value means the watch must fire.
    std::int64_t seen_zxid;
  };

  // The handle to use, or none once the store is closing.
  std::pair<ZHandle, std::uint64_t> current() const {
    std::lock_guard lock(mutex_);
    return {stopping_ ? nullptr : handle_, generation_};
  }

  // Replaces the handle with a new session's. The old handle closes after the lock is released
  // (its client threads may be waiting for the lock).
  Status open_handle() {
    // A server that drops the very first connection (one just started, seen in CI as "Host is
    // down") can leave the new handle unusable before the credentials are queued on it
    // (ZINVALIDSTATE): such a handle is closed and a new one made, a few times.
    for (int attempt = 1;; ++attempt) {
      ZHandle unusable;  // closed after the lock is released: its threads may wait for the lock
      {
        ZHandle replaced;
        std::lock_guard lock(mutex_);  // held across init so that session events see handle_
        zhandle_t* zh = zookeeper_init2(options_.connect_string.c_str(), &Impl::on_session_event,
                                        static_cast<int>(options_.session_timeout.count()), nullptr,
                                        this, 0, &log_to_spdlog);
        if (!zh) {
          return make_error(StoreErrc::other,
                            "connect '" + options_.connect_string + "': zookeeper_init failed");
        }
        ZHandle fresh(zh, [](zhandle_t* h) { zookeeper_close(h); });
        // Queued before any request of this session, and re-sent by the client on
        // reconnection.
        if (!options_.auth_payload.empty()) {
          const int rc =
              zoo_add_auth(zh, "digest", options_.auth_payload.data(),
                           static_cast<int>(options_.auth_payload.size()), nullptr, nullptr);
          if (rc == ZINVALIDSTATE && attempt < 5) {
            unusable = std::move(fresh);
          } else if (rc != ZOK) {
            return make_error(
                StoreErrc::other,
                std::string("zookeeper: cannot add the digest credentials: ") + zerror(rc));
          }
        }
        if (!unusable) {
          replaced = std::exchange(handle_, std::move(fresh));
          link_ = Link::connecting;
          session_connected_ = false;
          ++generation_;
          return {};
        }
      }
      unusable.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    }
  }

  // False if the deadline passed (none: wait as long as the store is open) or the store closes.
  bool wait_connected(std::optional<Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    const auto ready = [this] { return stopping_ || link_ == Link::connected; };
    if (deadline) {
      state_changed_.wait_until(lock, *deadline, ready);
    } else {
      state_changed_.wait(lock, ready);
    }
    return !stopping_ && link_ == Link::connected;
  }

  // Waits until the connection state moved on from `generation` and is usable, or a short
  // back-off passed (the client may not have told us of the loss yet), or the deadline.
  void wait_for_change(std::uint64_t generation, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    const auto until = std::min(deadline, Clock::now() + std::chrono::milliseconds(100));
    state_changed_.wait_until(lock, until, [&] {
      return stopping_ || (generation_ != generation && link_ == Link::connected);
    });
    if (link_ != Link::connected) {
      state_changed_.wait_until(lock, deadline,
                                [this] { return stopping_ || link_ == Link::connected; });
    }
  }

  // Thread: the C client's completion thread.
  static void on_session_event(zhandle_t* zh, int type, int state, const char* /*path*/,
                               void* context) {
    if (type != ZOO_SESSION_EVENT) return;
    static_cast<Impl*>(context)->session_changed(zh, state);
  }

  void session_changed(zhandle_t* zh, int state) {
    std::lock_guard lock(mutex_);
    if (zh != handle_.get()) return;  // a replaced handle
    const Link before = link_;
    if (state == ZOO_CONNECTED_STATE) {
      link_ = Link::connected;
      given_up_ = false;
      if (!session_connected_) {
        session_connected_ = true;
        if (first_session_) post_session_event(SessionEvent::connected);
        first_session_ = false;
      } else if (before == Link::suspended) {
        post_session_event(SessionEvent::reconnected);
      }
    } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
      link_ = Link::expired;
    } else if (before == Link::connected) {
      link_ = Link::suspended;
      post_session_event(SessionEvent::suspended);
    }
    if (before == Link::connected && link_ != Link::connected) ++interruptions_;
    ++generation_;
    state_changed_.notify_all();
  }

  void post_session_event(SessionEvent event) {
    if (listener_) callbacks_.post([this, event] { listener_(event); });
  }

  void fire_watch(zhandle_t* zh, std::uint64_t id, WatchEventType type) {
    std::lock_guard lock(mutex_);
    if (zh != handle_.get()) return;
    auto it = watches_.find(id);
    if (it == watches_.end()) return;  // already fired during session recovery
    post_watch(std::move(it->second), type);
    watches_.erase(it);
  }

  void post_watch(WatchEntry entry, WatchEventType type) {
    callbacks_.post([callback = std::move(entry.callback), event = WatchEvent{type, entry.path}] {
      callback(event);
    });
  }

  // Thread: the store's session thread. Replaces expired sessions until the store closes.
  void recover_sessions() {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        state_changed_.wait(lock, [this] { return stopping_ || link_ == Link::expired; });
        if (stopping_) return;
      }
      spdlog::warn("zookeeper session expired; opening a new one");
      if (!open_handle() || !wait_connected(std::nullopt)) continue;
      recreate_ephemerals();
      rearm_watches();
      post_session_event(SessionEvent::expired_and_recovered);
    }
  }

  void recreate_ephemerals() {
    std::map<std::string, std::string> wanted;
    {
      std::lock_guard lock(mutex_);
      wanted = ephemerals_;
    }
    for (const auto& [path, data] : wanted) {
      const int rc = run([&](zhandle_t* zh, bool) -> int {
        return zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()), acl(),
                          ZOO_EPHEMERAL, nullptr, 0);
      });
      if (rc == ZOK) continue;
      spdlog::warn("zookeeper: could not re-create ephemeral {} after session expiry: {}", path,
                   zerror(rc));
      if (rc == ZNODEEXISTS || rc == ZNONODE) forget_ephemeral(path);  // someone else's now
    }
  }

  void rearm_watches() {
    std::vector<std::uint64_t> ids;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, entry] : watches_) ids.push_back(id);
    }
    for (std::uint64_t id : ids) rearm_watch(id);
  }

  // Re-sets one watch on the new session; fires it now if its node changed meanwhile.
  void rearm_watch(std::uint64_t id) {
    std::string path;
    bool children = false;
    {
      std::lock_guard lock(mutex_);
      auto it = watches_.find(id);
      if (it == watches_.end()) return;
      path = it->second.path;
      children = it->second.children;
    }
    void* context = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
    Stat stat{};
    const int rc = run([&](zhandle_t* zh, bool) -> int {
      if (!children) return zoo_wexists(zh, path.c_str(), &Impl::on_watch, context, &stat);
      ChildList list;
      return zoo_wget_children2(zh, path.c_str(), &Impl::on_watch, context, &list.names, &stat);
    });
    std::lock_guard lock(mutex_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    const bool present = rc == ZOK;
    const std::int64_t zxid = present ? (children ? stat.pzxid : stat.mzxid) : 0;
    if (rc != ZOK && rc != ZNONODE) {
      spdlog::warn("zookeeper: could not re-set watch on {}: {}", path, zerror(rc));
    } else if (zxid == it->second.seen_zxid) {
      return;  // unchanged: the re-set watch stays registered
    }
    const bool was_present = it->second.seen_zxid != 0;
    const WatchEventType type = !present       ? WatchEventType::deleted
                                : !was_present ? WatchEventType::created
                                : children     ? WatchEventType::children_changed
                                               : WatchEventType::data_changed;
    post_watch(std::move(it->second), type);
    watches_.erase(it);
  }

  const ZooKeeperOptions options_;
  const SessionListener listener_;
  NodeAcl acl_;
  CallbackThread callbacks_;  // first: destroyed last, after the handle is closed

  mutable std::mutex mutex_;
  std::condition_variable state_changed_;
  ZHandle handle_;
  Link link_ = Link::connecting;
  std::uint64_t generation_ = 0;  // bumped on every connection-state change
  bool given_up_ = false;         // an operation timed out waiting for this disconnection to end
  std::atomic<std::uint64_t> interruptions_{0};  // connected -> suspended or expired
  bool session_connected_ = false;
  bool first_session_ = true;
  bool stopping_ = false;
  std::map<std::string, std::string> ephemerals_;  // created by us, not removed: path -> data
  std::map<std::uint64_t, WatchEntry> watches_;    // set and not yet fired
  std::uint64_t next_watch_id_ = 1;
  std::thread session_thread_;
};

ZooKeeperOptions ZooKeeperOptions::from(const Config& conf) {
  ZooKeeperOptions o;
  o.connect_string = conf.get_string(conf::kStormZookeeperServers);
  o.root = conf.get_string(conf::kStormZookeeperRoot);
  o.session_timeout = std::chrono::milliseconds(conf.get_int(conf::kStormZookeeperSessionTimeout));
  o.operation_timeout =
      std::chrono::milliseconds(conf.get_int(conf::kStormZookeeperOperationTimeout));
  o.auth_payload = conf.get_string(conf::kStormZookeeperAuthPayload, "");
  return o;
}

Result<std::unique_ptr<ZooKeeperStore>> ZooKeeperStore::connect(const ZooKeeperOptions& options,
                                                                SessionListener listener) {
  if (auto valid = validate_path(options.root); !valid) return valid.error();
  if (!options.auth_payload.empty() &&
      (options.auth_payload.find(':') == std::string::npos || options.auth_payload.front() == ':'))
    return make_error(StoreErrc::other,
                      std::string(conf::kStormZookeeperAuthPayload) + " must be 'user:password'");
  ZooKeeperOptions chrooted = options;
  if (options.root != "/") {
    ZooKeeperOptions bare = options;
    bare.root = "/";
    auto bootstrap = connect(bare);
    if (!bootstrap) return bootstrap.error();
    if (auto made = (*bootstrap)->mkdirs(options.root); !made) return made.error();
    chrooted.connect_string += options.root;
  }
  auto impl = std::make_unique<Impl>(chrooted, std::move(listener));
  if (auto started = impl->start(); !started) return started.error();
  return std::unique_ptr<ZooKeeperStore>(new ZooKeeperStore(std::move(impl)));
}

ZooKeeperStore::ZooKeeperStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZooKeeperStore::~ZooKeeperStore() = default;

SessionCredentials ZooKeeperStore::session() const {
  return impl_->credentials();
}

std::uint64_t ZooKeeperStore::interruptions() const {
  return impl_->interruptions();
}

Result<std::string> ZooKeeperStore::create(std::string_view path_view, std::string_view data,
                                           CreateMode mode) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  const bool ephemeral = mode == CreateMode::ephemeral;
  std::string created(path.size() + 32, '\0');
  const int rc = impl_->run(
      [&](zhandle_t* zh, bool after_loss) -> int {
        if (after_loss) {  // did the lost attempt create the node?
          std::string current;
          Stat stat{};
          const int read = read_node(zh, path, nullptr, nullptr, current, stat);
          if (read == ZOK) {
            const bool ours =
                current == data && (!ephemeral || stat.ephemeralOwner == impl_->session_id());
            created = path;
            return ours ? ZOK : ZNODEEXISTS;
          }
          if (read != ZNONODE) return read;
        }
        created.assign(path.size() + 32, '\0');
        // The parent's ACL, so that what Nimbus grants on a topology's folder holds for every
        // node made beneath it; the store's own under a parent open to everyone (ZooKeeper's
        // root) or one this identity may not read (the create then fails on its own). A parent
        // whose ACL cannot be read now fails the create (a connection loss is retried): a node
        // is never made without the grant it should carry.
        ReadAcl parent;
        Stat parent_stat{};
        ACL_vector* acl = impl_->acl();
        if (path != "/") {
          const int read = zoo_get_acl(zh, parent_path(path).c_str(), parent.get(), &parent_stat);
          if (read != ZOK && read != ZNOAUTH) return read;
          if (read == ZOK && !parent.open()) acl = parent.get();
        }
        const int made =
            zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()), acl,
                       to_zk_mode(mode), created.data(), static_cast<int>(created.size()));
        if (made == ZOK) created.resize(created.find('\0'));
        return made;
      },
      // A lost sequential create cannot be told apart from someone else's: outcome unknown.
      mode == CreateMode::persistent_sequential ? Retry::never : Retry::after_reread);
  if (rc != ZOK) return zk_error(rc, "create", path);
  if (ephemeral) impl_->remember_ephemeral(created, data);
  return created;
}

Result<std::optional<NodeData>> ZooKeeperStore::get(std::string_view path_view) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  std::string data;
  Stat stat{};
  const int rc = impl_->run([&](zhandle_t* zh, bool) -> int {
    return read_node(zh, path, nullptr, nullptr, data, stat);
  });
  if (rc == ZNONODE) return std::optional<NodeData>{};
  if (rc != ZOK) return zk_error(rc, "get", path);
  return std::optional<NodeData>{NodeData{std::move(data), stat.version}};
}

Result<std::int32_t> ZooKeeperStore::set(std::string_view path_view, std::string_view data,
                                         std::int32_t expected_version) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  Stat stat{};
  const int rc = impl_->run([&](zhandle_t* zh, bool after_loss) -> int {
    if (after_loss && expected_version != -1) {  // did the lost attempt apply?
      std::string current;
      const int read = read_node(zh, path, nullptr, nullptr, current, stat);
      if (read != ZOK) return read;
      if (stat.version == expected_version + 1 && current == data) return ZOK;
      if (stat.version != expected_version) return ZBADVERSION;
    }
    return zoo_set2(zh, path.c_str(), data.data(), static_cast<int>(data.size()), expected_version,
                    &stat);
  });
  if (rc != ZOK) return zk_error(rc, "set", path);
  impl_->update_ephemeral(path, data);
  return stat.version;
}

Status ZooKeeperStore::remove(std::string_view path_view, std::int32_t expected_version) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  const int rc = impl_->run([&](zhandle_t* zh, bool after_loss) -> int {
    if (after_loss) {  // a node gone after a lost delete is taken as deleted by us
      const int seen = zoo_exists(zh, path.c_str(), 0, nullptr);
      if (seen == ZNONODE) return ZOK;
      if (seen != ZOK) return seen;
    }
    return zoo_delete(zh, path.c_str(), expected_version);
  });
  if (rc != ZOK) return zk_error(rc, "remove", path);
  impl_->forget_ephemeral(path);
  return {};
}

Result<std::vector<std::string>> ZooKeeperStore::children(std::string_view path_view) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  std::vector<std::string> names;
  const int rc = impl_->run([&](zhandle_t* zh, bool) -> int {
    ChildList list;
    const int listed = zoo_get_children(zh, path.c_str(), 0, &list.names);
    if (listed == ZOK) names = list.sorted();
    return listed;
  });
  if (rc != ZOK) return zk_error(rc, "children", path);
  return names;
}

Result<bool> ZooKeeperStore::exists(std::string_view path_view) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  const int rc = impl_->run(
      [&](zhandle_t* zh, bool) -> int { return zoo_exists(zh, path.c_str(), 0, nullptr); });
  if (rc == ZNONODE) return false;
  if (rc != ZOK) return zk_error(rc, "exists", path);
  return true;
}

Result<std::optional<NodeData>> ZooKeeperStore::get_and_watch(std::string_view path_view,
                                                              WatchCallback callback) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  const std::uint64_t id = impl_->add_watch(path, false, std::move(callback));
  void* context = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
  std::string data;
  Stat stat{};
  const int rc = impl_->run([&](zhandle_t* zh, bool) -> int {
    for (;;) {
      const int read = read_node(zh, path, &Impl::on_watch, context, data, stat);
      if (read != ZNONODE) return read;
      // Absent: watch for its creation instead (exists watches fire on create).
      const int seen = zoo_wexists(zh, path.c_str(), &Impl::on_watch, context, &stat);
      if (seen != ZOK) return seen;  // ZNONODE: absent and watched
      // Created in between: read it.
    }
  });
  impl_->settle_watch(id, rc == ZOK || rc == ZNONODE, rc == ZOK ? stat.mzxid : 0);
  if (rc == ZNONODE) return std::optional<NodeData>{};
  if (rc != ZOK) return zk_error(rc, "get", path);
  return std::optional<NodeData>{NodeData{std::move(data), stat.version}};
}

Result<std::vector<std::string>> ZooKeeperStore::children_and_watch(std::string_view path_view,
                                                                    WatchCallback callback) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  const std::uint64_t id = impl_->add_watch(path, true, std::move(callback));
  void* context = reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
  std::vector<std::string> names;
  Stat stat{};
  const int rc = impl_->run([&](zhandle_t* zh, bool) -> int {
    ChildList list;
    const int listed =
        zoo_wget_children2(zh, path.c_str(), &Impl::on_watch, context, &list.names, &stat);
    if (listed == ZOK) names = list.sorted();
    return listed;
  });
  impl_->settle_watch(id, rc == ZOK, stat.pzxid);  // no node: the server set no watch
  if (rc != ZOK) return zk_error(rc, "children", path);
  return names;
}

Status ZooKeeperStore::grant(std::string_view path_view, const std::string& payload,
                             Access access) {
  if (auto valid = StateStore::grant(path_view, payload, access); !valid) return valid;
  if (impl_->open()) return {};  // no identity of its own: every node is open already
  const std::string path(path_view);
  std::string scheme = "digest", id = digest_id(payload);
  ACL entries[2] = {impl_->own_acl(), ACL{access == Access::read ? ZOO_PERM_READ : ZOO_PERM_ALL,
                                          Id{scheme.data(), id.data()}}};
  ACL_vector acl{2, entries};
  const int rc = impl_->run(
      [&](zhandle_t* zh, bool) -> int { return zoo_set_acl(zh, path.c_str(), -1, &acl); },
      Retry::after_reread);  // setting the same ACL again is harmless
  if (rc != ZOK) return zk_error(rc, "set the ACL of", path);
  return {};
}

Result<bool> ZooKeeperStore::open_to_anyone(std::string_view path_view) {
  if (auto valid = validate_path(path_view); !valid) return valid.error();
  const std::string path(path_view);
  bool open = false;
  const int rc = impl_->run([&](zhandle_t* zh, bool) -> int {
    ReadAcl acl;
    Stat stat{};
    const int read = zoo_get_acl(zh, path.c_str(), acl.get(), &stat);
    if (read == ZOK) open = acl.open();
    return read;
  });
  if (rc != ZOK) return zk_error(rc, "read the ACL of", path);
  return open;
}

Status ZooKeeperStore::mkdirs(std::string_view path) {
  if (auto valid = validate_path(path); !valid) return valid;
  for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix(path.substr(0, end));
    // Existing folders are passed by, not created again: ZooKeeper checks the right to create
    // in the parent before it sees the node exists, and an identity admitted to one folder
    // (a topology's workers) has no such right on the folders above it.
    auto present = prefix == "/" ? Result<bool>(true) : exists(prefix);
    if (!present) return present.error();
    if (!*present) {
      auto made = create(prefix, "", CreateMode::persistent);
      if (!made && made.code() != StoreErrc::node_exists) return made.error();
    }
    if (end == std::string_view::npos) return {};
  }
}

}  // namespace gale::coordination
