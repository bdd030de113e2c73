#pragma once
// Helpers shared by the codec tests: a visitor that records everything, and sample batches.
#include <cstdint>
#include <limits>
#include <vector>

#include "gale/transport/batch_codec.h"

namespace gale::transport::testing {

struct DecodedTuple {
  std::vector<std::int32_t> targets;
  std::int32_t source_task;
  std::int32_t stream_index;
  Values values;
  std::vector<std::uint64_t> roots;
  std::vector<std::uint64_t> anchor_values;  // targets x roots

  // Target i's anchors as (root, ack value) pairs.
  std::vector<Anchor> anchors(std::size_t i = 0) const {
    std::vector<Anchor> out;
    for (std::size_t j = 0; j < roots.size(); ++j)
      out.emplace_back(roots[j], anchor_values[i * roots.size() + j]);
    return out;
  }
};

struct DecodedAck {
  std::uint8_t kind;
  std::int32_t task;
  std::uint64_t root;
  std::uint64_t value;
  friend bool operator==(const DecodedAck&, const DecodedAck&) = default;
};

class RecordingVisitor : public BatchVisitor {
 public:
  bool on_batch(const BatchHeader& h) override {
    header = h;
    return accept;
  }
  void on_tuple(const TupleView& t) override {
    tuples.push_back({{t.target_tasks.begin(), t.target_tasks.end()},
                      t.source_task,
                      t.stream_index,
                      t.values,
                      {t.anchor_roots.begin(), t.anchor_roots.end()},
                      {t.anchor_values.begin(), t.anchor_values.end()}});
    order.push_back('t');
  }
  void on_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root,
              std::uint64_t value) override {
    acks.push_back({kind, task, root, value});
    order.push_back('a');
  }

  bool accept = true;
  BatchHeader header{};
  std::vector<DecodedTuple> tuples;
  std::vector<DecodedAck> acks;
  std::string order;  // 't' and 'a' in the order visited
};

// One of every value type, with the edge cases the wire must carry exactly.
inline Values every_value_type() {
  return {Value(),
          Value(true),
          Value(false),
          Value(0),
          Value(-1),
          Value(127),
          Value(-33),
          Value(std::numeric_limits<std::int64_t>::min()),
          Value(std::numeric_limits<std::int64_t>::max()),
          Value(3.25),
          Value(-0.0),
          Value(std::numeric_limits<double>::infinity()),
          Value(2.0),  // integral doubles stay doubles
          Value(""),
          Value("word"),
          Value(std::string(300, 's')),
          Value(Bytes{}),
          Value(Bytes{0x00, 0xc1, 0xff}),
          Value(Bytes(70000, 0xab))};
}

// A batch with tuples (single and multi-target, anchored and not) and acks interleaved.
inline std::vector<std::uint8_t> sample_batch() {
  BatchEncoder enc;
  enc.reset(7);
  const std::vector<Anchor> anchors = {{1, 2}, {~std::uint64_t{0}, 0x8000000000000000ull}};
  enc.add_tuple(3, 1, 0, Values{Value("the quick brown fox"), Value(42)}, anchors);
  enc.add_ack(2, 9, 0x1234567890abcdefull, 77);
  const std::vector<std::int32_t> targets = {4, 5, 6};
  enc.add_tuple(targets, 2, 1, Values{Value(), Value(true), Value(2.5), Value(Bytes{1, 2, 3})}, {},
                {});
  enc.add_ack(0, 10, 1, 0);
  // One emit for two tasks in two trees: each target its own ack value in each tree.
  const std::vector<std::int32_t> pair = {7, 8};
  const std::vector<std::uint64_t> roots = {100, 200};
  const std::vector<std::uint64_t> values = {71, 72, 81, 82};
  enc.add_tuple(pair, 3, 0, Values{Value("shared")}, roots, values);
  const auto bytes = enc.bytes();
  return {bytes.begin(), bytes.end()};
}

}  // namespace gale::transport::testing
