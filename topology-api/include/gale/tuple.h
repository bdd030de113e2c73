#pragma once
// A tuple: the values emitted on one stream, with where they came from.
//
// Threading and ownership: a Tuple handed to Bolt::execute is owned by the runtime and valid
// for the duration of the call. A bolt that acks later keeps a copy (Tuple is copyable); the
// copy carries the tuple's acking state, so ack or fail the copy you anchored to.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/value.h"

namespace gale {

inline constexpr const char* kDefaultStream = "default";
inline constexpr const char* kSystemComponent = "__system";
inline constexpr const char* kTickStream = "__tick";

namespace detail {
// Immutable description of one (component, stream), owned by the runtime for its lifetime.
struct StreamSchema {
  std::string component;
  std::string stream;
  Fields fields;
  bool direct = false;
  int stream_index = 0;  // index among the component's declared streams
};
// (root id, edge value) pairs: the tuple trees this tuple belongs to.
using Anchors = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
class TupleAccess;  // the runtime's door to a tuple's internal state
}  // namespace detail

class Tuple {
 public:
  Tuple() = default;

  std::size_t size() const { return values_.size(); }
  const Values& values() const { return values_; }
  // Bounds-checked; throws std::out_of_range naming the stream and index.
  const Value& get(std::size_t i) const;
  // By field name; throws std::out_of_range naming the stream and its fields.
  const Value& get(std::string_view field) const;
  const Value& operator[](std::size_t i) const { return values_[i]; }
  // Field access by name is a search over the stream's fields; cache an index for hot paths.
  const Fields& fields() const;

  const std::string& source_component() const;
  const std::string& source_stream() const;
  int source_task() const { return source_task_; }
  // True for the tick tuples sent by the system at topology.tick.tuple.freq.secs.
  bool is_tick() const;

 private:
  friend class detail::TupleAccess;
  Values values_;
  const detail::StreamSchema* schema_ = nullptr;
  int source_task_ = -1;
  detail::Anchors anchors_;
  mutable std::uint64_t ack_val_ = 0;  // XOR of the edge ids of tuples anchored to this one
  std::int64_t sample_ns_ = 0;         // set when this tuple is sampled for latency
};

}  // namespace gale
