#pragma once
// State that survives a worker's loss: stateful bolts with typed keyed state, and spouts whose
// position in their source is part of every checkpoint (docs/STATE.md has the protocol and its
// guarantees).
//
// Threading and ownership: a bolt's state objects are created by StateContext in init_state()
// and owned by the runtime; they stay valid until the bolt's cleanup() returns, and are used
// only from the bolt's executor thread, like the bolt itself. The runtime reads them for a
// snapshot on that same thread, between two execute() calls: what a snapshot contains is
// exactly the effect of the tuples executed before the checkpoint's barrier.
//
// Cost: a state is an in-memory hash map; put() marks its key changed. A checkpoint encodes
// only the keys changed since the previous one (incremental), on the executor thread, and a
// background thread writes them to the state backend (topology.state.backend).
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gale/components.h"

namespace gale {

// Checkpoint ids increase for a topology's life and are never reused; 0 means none.
using CheckpointId = std::uint64_t;

inline constexpr const char* kBarrierStream = "__barrier";
inline constexpr const char* kCheckpointComponent = "__checkpoint";

// ---- Codecs: how keys and values become bytes ---------------------------------------------
//
// Codec<T> encodes a T by appending to a string and decodes one from the front of a
// string_view (advancing it), throwing std::runtime_error on malformed input; name() names the
// type, so that a checkpoint taken with one type is never read as another. Built in: integers,
// bool, double, std::string, std::vector, std::map and std::pair of these. Specialize Codec for
// your own types.
template <typename T, typename = void>
struct Codec;

namespace detail {
[[noreturn]] void throw_truncated(const char* type);
inline void take_bytes(std::string_view& in, void* out, std::size_t n, const char* type) {
  if (in.size() < n) throw_truncated(type);
  std::memcpy(out, in.data(), n);
  in.remove_prefix(n);
}
}  // namespace detail

static_assert(std::endian::native == std::endian::little,
              "Codec writes numbers in the host's byte order, little-endian");

namespace detail {
// A container's size as the 32-bit count that precedes its elements.
inline std::uint32_t count_of(std::size_t n) {
  if (n > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error("state entry too large: " + std::to_string(n) + " elements or bytes");
  return static_cast<std::uint32_t>(n);
}
}  // namespace detail

template <>
struct Codec<bool> {
  static std::string name() { return "bool"; }
  static void encode(bool v, std::string& out) { out.push_back(v ? '\1' : '\0'); }
  static bool decode(std::string_view& in) {
    if (in.empty()) detail::throw_truncated("bool");
    char c = in.front();
    if (c != '\0' && c != '\1') throw std::runtime_error("state entry: a bool that is not 0 or 1");
    in.remove_prefix(1);
    return c == '\1';
  }
};

template <typename T>
struct Codec<T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
  static std::string name() {
    if constexpr (std::is_floating_point_v<T>)
      return "f" + std::to_string(sizeof(T) * 8);
    else
      return (std::is_signed_v<T> ? "i" : "u") + std::to_string(sizeof(T) * 8);
  }
  static void encode(const T& v, std::string& out) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  static T decode(std::string_view& in) {
    T v;
    detail::take_bytes(in, &v, sizeof v, "number");
    return v;
  }
};

template <>
struct Codec<std::string> {
  static std::string name() { return "string"; }
  static void encode(const std::string& v, std::string& out) {
    Codec<std::uint32_t>::encode(detail::count_of(v.size()), out);
    out.append(v);
  }
  static std::string decode(std::string_view& in) {
    auto n = Codec<std::uint32_t>::decode(in);
    if (in.size() < n) detail::throw_truncated("string");
    std::string v(in.substr(0, n));
    in.remove_prefix(n);
    return v;
  }
};

template <typename A, typename B>
struct Codec<std::pair<A, B>> {
  static std::string name() { return "pair<" + Codec<A>::name() + "," + Codec<B>::name() + ">"; }
  static void encode(const std::pair<A, B>& v, std::string& out) {
    Codec<A>::encode(v.first, out);
    Codec<B>::encode(v.second, out);
  }
  static std::pair<A, B> decode(std::string_view& in) {
    A a = Codec<A>::decode(in);
    return {std::move(a), Codec<B>::decode(in)};
  }
};

template <typename T>
struct Codec<std::vector<T>> {
  static std::string name() { return "vector<" + Codec<T>::name() + ">"; }
  static void encode(const std::vector<T>& v, std::string& out) {
    Codec<std::uint32_t>::encode(detail::count_of(v.size()), out);
    for (const T& x : v) Codec<T>::encode(x, out);
  }
  static std::vector<T> decode(std::string_view& in) {
    auto n = Codec<std::uint32_t>::decode(in);
    std::vector<T> v;
    v.reserve(std::min<std::size_t>(n, in.size()));
    for (std::uint32_t i = 0; i < n; ++i) v.push_back(Codec<T>::decode(in));
    return v;
  }
};

template <typename K, typename V>
struct Codec<std::map<K, V>> {
  static std::string name() { return "map<" + Codec<K>::name() + "," + Codec<V>::name() + ">"; }
  static void encode(const std::map<K, V>& v, std::string& out) {
    Codec<std::uint32_t>::encode(detail::count_of(v.size()), out);
    for (const auto& [k, x] : v) {
      Codec<K>::encode(k, out);
      Codec<V>::encode(x, out);
    }
  }
  static std::map<K, V> decode(std::string_view& in) {
    auto n = Codec<std::uint32_t>::decode(in);
    std::map<K, V> v;
    for (std::uint32_t i = 0; i < n; ++i) {
      K k = Codec<K>::decode(in);
      v.emplace(std::move(k), Codec<V>::decode(in));
    }
    return v;
  }
};

namespace detail {

// Encodes a whole value, checking on decode that nothing is left over.
template <typename T>
std::string encode_one(const T& v) {
  std::string out;
  Codec<T>::encode(v, out);
  return out;
}
template <typename T>
T decode_one(std::string_view in, const std::string& what) {
  T v = Codec<T>::decode(in);
  if (!in.empty())
    throw std::runtime_error(what + ": " + std::to_string(in.size()) + " bytes left over");
  return v;
}

// Where a state writes what changed, for a snapshot (implemented by the runtime).
class StateSink {
 public:
  virtual ~StateSink() = default;
  virtual void put(std::string key, std::string value) = 0;
  virtual void erase(std::string key) = 0;
};

// What every kind of state does for the runtime: snapshots and restores as bytes.
class StateBase {
 public:
  StateBase(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}
  virtual ~StateBase();
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;
  const std::string& name() const { return name_; }
  // "key_value<K,V>" or "value<V>" with the codecs' names: checked against a restored state.
  const std::string& type() const { return type_; }
  // Writes the entries changed since the last snapshot (every entry when `full`), and forgets
  // that they changed.
  virtual void snapshot(bool full, StateSink& sink) = 0;
  // Loads one entry of a restored snapshot (before the bolt sees the state).
  virtual void restore(std::string_view key, std::string_view value) = 0;
  // Without checkpoints (topology.state.checkpoint.interval.ms = 0) nothing is snapshotted:
  // changes are not tracked.
  void stop_tracking() { tracking_ = false; }

 protected:
  bool tracking() const { return tracking_; }

 private:
  std::string name_;
  std::string type_;
  bool tracking_ = true;
};

}  // namespace detail

// A map from K to V, checkpointed incrementally: only the keys put or removed since the last
// checkpoint are written. K needs a Hash (std::hash by default: integers, strings; give one for
// pair or vector keys).
template <typename K, typename V, typename Hash = std::hash<K>>
class KeyValueState final : public detail::StateBase {
 public:
  explicit KeyValueState(std::string name)
      : StateBase(std::move(name), "key_value<" + Codec<K>::name() + "," + Codec<V>::name() + ">") {
  }

  // The value of `key`, or null. Valid until the next put/mutate/remove.
  const V* find(const K& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }
  V get(const K& key, V fallback) const {
    const V* v = find(key);
    return v ? *v : std::move(fallback);
  }
  bool contains(const K& key) const { return map_.count(key) != 0; }
  void put(const K& key, V value) { mutate(key) = std::move(value); }
  // The value of `key` to change in place, default-constructed if absent; marked changed.
  // Change it before the next execute() returns: a reference kept longer and written later is
  // not seen as a change by the next checkpoint.
  V& mutate(const K& key) {
    auto [it, inserted] = map_.try_emplace(key);
    if (!it->second.dirty && tracking()) {
      it->second.dirty = true;
      changed_.push_back(key);
    }
    return it->second.value;
  }
  // Removes `key`; false if it was absent.
  bool remove(const K& key) {
    if (map_.erase(key) == 0) return false;
    if (tracking()) changed_.push_back(key);
    return true;
  }
  std::size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  // f(const K&, const V&) for every entry, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [k, e] : map_) f(k, e.value);
  }

  void snapshot(bool full, detail::StateSink& sink) override {
    if (full) {
      for (auto& [k, e] : map_) {
        e.dirty = false;
        sink.put(detail::encode_one(k), detail::encode_one(e.value));
      }
    } else {
      for (const K& k : changed_) {
        auto it = map_.find(k);
        if (it == map_.end()) {
          sink.erase(detail::encode_one(k));
        } else if (it->second.dirty) {  // a key listed twice is written once
          it->second.dirty = false;
          sink.put(detail::encode_one(k), detail::encode_one(it->second.value));
        }
      }
    }
    changed_.clear();
  }
  void restore(std::string_view key, std::string_view value) override {
    map_[detail::decode_one<K>(key, name() + " key")].value =
        detail::decode_one<V>(value, name() + " value");
  }

 private:
  struct Entry {
    V value{};
    bool dirty = false;
  };
  std::unordered_map<K, Entry, Hash> map_;
  std::vector<K> changed_;  // keys put or removed since the last snapshot, possibly repeated
};

// One value, possibly unset.
template <typename V>
class ValueState final : public detail::StateBase {
 public:
  explicit ValueState(std::string name)
      : StateBase(std::move(name), "value<" + Codec<V>::name() + ">") {}

  bool has_value() const { return value_.has_value(); }
  // The value, or `fallback` when unset.
  V get(V fallback = V{}) const { return value_ ? *value_ : std::move(fallback); }
  void set(V value) {
    value_ = std::move(value);
    dirty_ = true;
  }
  // The value to change in place, default-constructed if unset; marked changed.
  V& mutate() {
    if (!value_) value_.emplace();
    dirty_ = true;
    return *value_;
  }
  void clear() {
    value_.reset();
    dirty_ = true;
  }

  void snapshot(bool full, detail::StateSink& sink) override {
    if (full || dirty_) {
      if (value_)
        sink.put({}, detail::encode_one(*value_));
      else
        sink.erase({});
    }
    dirty_ = false;
  }
  void restore(std::string_view, std::string_view value) override {
    value_ = detail::decode_one<V>(value, name());
  }

 private:
  std::optional<V> value_;
  bool dirty_ = false;
};

// Declares a bolt task's state (in StatefulBolt::init_state). Implemented by the runtime.
class StateContext {
 public:
  virtual ~StateContext() = default;

  // The state named `name`, restored from the last complete checkpoint if there is one.
  // Throws std::invalid_argument when the name is declared twice, or when the checkpoint holds
  // this name with another type (a topology changed incompatibly).
  template <typename K, typename V, typename Hash = std::hash<K>>
  KeyValueState<K, V, Hash>& key_value(std::string name) {
    return add(std::make_unique<KeyValueState<K, V, Hash>>(std::move(name)));
  }
  template <typename V>
  ValueState<V>& value(std::string name) {
    return add(std::make_unique<ValueState<V>>(std::move(name)));
  }
  // The checkpoint this task's state was restored from; 0 when it started empty.
  virtual CheckpointId restored_from() const = 0;

 protected:
  // Registers `state` and loads its restored entries; returns it.
  virtual detail::StateBase& declare(std::unique_ptr<detail::StateBase> state) = 0;

 private:
  template <typename S>
  S& add(std::unique_ptr<S> state) {
    return static_cast<S&>(declare(std::move(state)));
  }
};

// A bolt with checkpointed state. After prepare(), and after every recovery, init_state()
// declares its states, already holding what the last complete checkpoint held: the effect of
// exactly the tuples before that checkpoint's barrier (exactly-once state). Emits to sinks stay
// at least once.
class StatefulBolt : public Bolt {
 public:
  ~StatefulBolt() override;
  virtual void init_state(StateContext& state) = 0;
  // Called just before the state is snapshotted for checkpoint `id`: fold anything held
  // outside the state objects into them.
  virtual void pre_checkpoint(CheckpointId /*id*/) {}
};

// A spout whose position in its source is part of every checkpoint: on recovery it is told to
// go back there, so that every tuple after the checkpoint is emitted again.
class StatefulSpout : public Spout {
 public:
  ~StatefulSpout() override;
  // The position past every tuple emitted so far (the Kafka spout: the next offset per
  // partition). Called between two next_tuple() calls.
  virtual std::string snapshot_position() = 0;
  // After open(), before the first next_tuple(): go back to the checkpoint. `positions` holds
  // what snapshot_position() returned in every task of this spout's component (by task
  // index; empty for a task that stored none), `own` is this task's index: a source split
  // statically uses positions[own]; one whose partitions move between tasks (a Kafka consumer
  // group) merges them all. Possibly from an older version of the topology.
  virtual void restore_position(const std::vector<std::string>& positions, std::size_t own) = 0;
  // Checkpoint `id` is complete: its positions are durable, so the source may forget what
  // comes before them (the Kafka spout commits its offsets).
  virtual void checkpoint_complete(CheckpointId /*id*/) {}
};

}  // namespace gale
