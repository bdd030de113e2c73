#pragma once
// The wire codec for what workers send each other: batches of tuples and acker messages.
//
// A batch is a 24-byte little-endian header (magic "GLWB", format version, flags, topology
// epoch, tuple count, ack count) followed by one MessagePack array per record, in the order
// they were added. transport/README.md has the field table.
//
// Threading: an encoder or a decoder belongs to one thread at a time; separate instances are
// independent. Neither blocks.
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "gale/common/result.h"
#include "gale/transport/errc.h"
#include "gale/value.h"

namespace gale::transport {
namespace wire {
class WireReader;
}

inline constexpr std::uint16_t kWireFormatVersion = 3;
inline constexpr std::size_t kBatchHeaderBytes = 24;

// One tuple tree the tuple belongs to: (root id, ack value), as the acker tracks them.
using Anchor = std::pair<std::uint64_t, std::uint64_t>;

// Builds one batch at a time in a buffer that it keeps: after the first few batches, reset()
// and add_*() allocate nothing (the buffer only grows to the largest batch seen).
class BatchEncoder {
 public:
  BatchEncoder() { reset(0); }

  // Starts a new, empty batch stamped with the topology epoch (the assignment version the
  // sender routed with; the receiver may refuse batches of an older one).
  void reset(std::uint64_t topology_epoch);

  // Appends a tuple for one target task, in the trees `anchors` names.
  void add_tuple(std::int32_t target_task, std::int32_t source_task, std::int32_t stream_index,
                 const Values& values, std::span<const Anchor> anchors);
  // Encode once: a tuple for several target tasks in the same remote worker is added once with
  // all its targets, so its values are serialised once. Each target has its own ack value in
  // each of the tuple's trees (Storm's anchoring draws an edge per target): `anchor_roots` are
  // the trees, the same for every target, and `anchor_values` holds, target after target, each
  // one's value in each tree (targets x roots). `target_tasks` must not be empty.
  void add_tuple(std::span<const std::int32_t> target_tasks, std::int32_t source_task,
                 std::int32_t stream_index, const Values& values,
                 std::span<const std::uint64_t> anchor_roots,
                 std::span<const std::uint64_t> anchor_values);

  // Appends an acker message (init / ack / fail / completed ...: `kind` is the caller's code).
  void add_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root, std::uint64_t value);

  // Finishes the batch (writes the counts into the header) and returns its bytes. The span is
  // valid until the next reset() or add_*(). Adding after bytes() continues the same batch.
  std::span<const std::uint8_t> bytes();

  std::uint32_t tuple_count() const { return tuples_; }
  std::uint32_t ack_count() const { return acks_; }
  bool empty() const { return tuples_ == 0 && acks_ == 0; }
  std::size_t size_bytes() const { return buffer_.size(); }  // the batch so far, header included

 private:
  std::vector<std::uint8_t> buffer_;
  std::uint32_t tuples_ = 0;
  std::uint32_t acks_ = 0;
};

// Bounds on what one batch may make the decoder allocate. Every count is also capped by the
// bytes left in the input, so a short message can never ask for a large allocation.
struct DecodeLimits {
  std::size_t max_batch_bytes = std::size_t{64} << 20;
  std::uint32_t max_values_per_tuple = 4096;
  std::uint32_t max_targets_per_tuple = 65536;
  std::uint32_t max_anchors_per_tuple = 65536;  // roots, and ack values (targets x roots)
};

// One decoded tuple, valid only during BatchVisitor::on_tuple.
struct TupleView {
  std::span<const std::int32_t> target_tasks;  // never empty
  std::int32_t source_task;
  std::int32_t stream_index;
  // Owned by the decoder and reused for the next tuple. The visitor may read it, or swap it with
  // a Values of its own to keep the tuple without a copy: the decoder then reuses (and
  // overwrites) whatever it finds there, so handing back a recycled Values of the same shape
  // makes decoding allocation-free for non-string values.
  Values& values;
  std::span<const std::uint64_t> anchor_roots;   // the trees it belongs to
  std::span<const std::uint64_t> anchor_values;  // targets x roots, target after target

  // Target i's ack value in tree j.
  std::uint64_t anchor_value(std::size_t target, std::size_t root) const {
    return anchor_values[target * anchor_roots.size() + root];
  }
};

struct BatchHeader {
  std::uint16_t format_version;
  std::uint64_t topology_epoch;
  std::uint32_t tuple_count;
  std::uint32_t ack_count;
};

// Receives a batch's records in the order they were encoded, on the decoding thread.
// Task ids, stream indexes and ack kinds are passed on raw: checking them against the
// topology is the visitor's job.
class BatchVisitor {
 public:
  virtual ~BatchVisitor() = default;
  // Called once, before any record. Return false to skip the batch (e.g. a stale topology
  // epoch): decode() then returns ok without visiting any record.
  virtual bool on_batch(const BatchHeader& header) { return true; }
  virtual void on_tuple(const TupleView& tuple) = 0;
  virtual void on_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root,
                      std::uint64_t value) = 0;
};

// Decodes batches written by BatchEncoder. Any input is safe: corrupt, truncated, oversized,
// foreign or type-confused bytes give an error Status naming the problem, never a crash, and
// never an allocation beyond DecodeLimits. Records are delivered as they are decoded, so on an
// error the visitor has already seen the records before the faulty one (the rest of the batch
// is lost; at-least-once delivery relies on the acker's timeout to replay it). Exceptions
// thrown by the visitor propagate unchanged.
class BatchDecoder {
 public:
  explicit BatchDecoder(DecodeLimits limits = {}) : limits_(limits) {}

  Status decode(std::span<const std::uint8_t> bytes, BatchVisitor& visitor);

 private:
  struct Progress;
  static Status check_header(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                             BatchHeader& header);
  void read_record(wire::WireReader& r, const BatchHeader& header, Progress& progress,
                   BatchVisitor& visitor);
  void read_tuple(wire::WireReader& r, BatchVisitor& visitor);
  static void read_ack(wire::WireReader& r, BatchVisitor& visitor);

  DecodeLimits limits_;
  // Scratch reused across tuples and batches: steady state allocates nothing for them.
  std::vector<std::int32_t> targets_;
  Values values_;
  std::vector<std::uint64_t> roots_;
  std::vector<std::uint64_t> anchor_values_;
};

}  // namespace gale::transport
