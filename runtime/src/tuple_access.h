#pragma once
// The runtime's access to a Tuple's internal state (the friend declared in gale/tuple.h).
#include "gale/tuple.h"

namespace gale::detail {

class TupleAccess {
 public:
  static Values& values(Tuple& t) { return t.values_; }
  static void set_source(Tuple& t, const StreamSchema* schema, int task) {
    t.schema_ = schema;
    t.source_task_ = task;
  }
  static const StreamSchema* schema(const Tuple& t) { return t.schema_; }
  static Anchors& anchors(Tuple& t) { return t.anchors_; }
  static const Anchors& anchors(const Tuple& t) { return t.anchors_; }
  // The XOR of edge ids of tuples anchored to `t`; mutable because anchoring does not change
  // what the user sees of the tuple.
  static std::uint64_t& ack_val(const Tuple& t) { return t.ack_val_; }
  static std::int64_t& sample_ns(Tuple& t) { return t.sample_ns_; }
  static std::int64_t sample_ns(const Tuple& t) { return t.sample_ns_; }

  // Makes `t` a fresh tuple with `values`, reusing its buffers.
  static void reset(Tuple& t, const StreamSchema* schema, int task, const Values& values) {
    t.values_ = values;  // copy-assign: reuses the vector's and strings' capacity
    t.schema_ = schema;
    t.source_task_ = task;
    t.anchors_.clear();
    t.ack_val_ = 0;
    t.sample_ns_ = 0;
  }
};

// Adds `edge` to the value of `root` in `anchors` (XOR), adding the root if new.
inline void xor_anchor(Anchors& anchors, std::uint64_t root, std::uint64_t edge) {
  for (auto& [r, v] : anchors) {
    if (r == root) {
      v ^= edge;
      return;
    }
  }
  anchors.emplace_back(root, edge);
}

}  // namespace gale::detail
