// BatchEncoder: the header by hand (fixed width, patched when the batch is finished), the
// records with msgpack-c's packer writing straight into the encoder's reused buffer.
#include <bit>
#include <msgpack.hpp>

#include "batch_format.h"
#include "gale/transport/batch_codec.h"

namespace gale::transport {
namespace {

// msgpack-c's output stream concept over the encoder's buffer.
class BufferSink {
 public:
  explicit BufferSink(std::vector<std::uint8_t>& buffer) : buffer_(buffer) {}
  void write(const char* data, std::size_t n) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    buffer_.insert(buffer_.end(), bytes, bytes + n);
  }

 private:
  std::vector<std::uint8_t>& buffer_;
};

using Packer = msgpack::packer<BufferSink>;

// Always a float64: msgpack-c's pack_double writes integral doubles as integers, which would
// turn Value(2.0) into Value(2) (and -0.0 into 0) on the other side.
void pack_float64(BufferSink& sink, double d) {
  char out[9];
  out[0] = static_cast<char>(0xcb);
  const auto bits = std::bit_cast<std::uint64_t>(d);
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<char>(bits >> (8 * (7 - i)));
  sink.write(out, sizeof out);
}

void pack_value(Packer& pk, BufferSink& sink, const Value& v) {
  switch (v.type()) {
    case Value::Type::null:
      pk.pack_nil();
      return;
    case Value::Type::boolean:
      v.as_bool() ? pk.pack_true() : pk.pack_false();
      return;
    case Value::Type::int64:
      pk.pack_int64(v.as_int());
      return;
    case Value::Type::float64:
      pack_float64(sink, v.as_double());
      return;
    case Value::Type::string: {
      const std::string& s = v.as_string();
      pk.pack_str(static_cast<std::uint32_t>(s.size()));
      pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
      return;
    }
    case Value::Type::bytes: {
      const Bytes& b = v.as_bytes();
      pk.pack_bin(static_cast<std::uint32_t>(b.size()));
      pk.pack_bin_body(reinterpret_cast<const char*>(b.data()),
                       static_cast<std::uint32_t>(b.size()));
      return;
    }
  }
}

}  // namespace

void BatchEncoder::reset(std::uint64_t topology_epoch) {
  buffer_.clear();
  tuples_ = 0;
  acks_ = 0;
  buffer_.resize(kBatchHeaderBytes);
  format::write_header(buffer_.data(), {kWireFormatVersion, topology_epoch, 0, 0});
}

namespace {

// The fields before the anchors: [kind, [targets], source, stream, [values], ...
void pack_tuple_head(Packer& pk, BufferSink& sink, std::span<const std::int32_t> target_tasks,
                     std::int32_t source_task, std::int32_t stream_index, const Values& values) {
  pk.pack_array(format::kTupleFields);
  pk.pack_uint8(static_cast<std::uint8_t>(format::RecordKind::tuple));
  pk.pack_array(static_cast<std::uint32_t>(target_tasks.size()));
  for (std::int32_t t : target_tasks) pk.pack_int32(t);
  pk.pack_int32(source_task);
  pk.pack_int32(stream_index);
  pk.pack_array(static_cast<std::uint32_t>(values.size()));
  for (const Value& v : values) pack_value(pk, sink, v);
}

}  // namespace

void BatchEncoder::add_tuple(std::int32_t target_task, std::int32_t source_task,
                             std::int32_t stream_index, const Values& values,
                             std::span<const Anchor> anchors) {
  BufferSink sink(buffer_);
  Packer pk(sink);
  pack_tuple_head(pk, sink, std::span<const std::int32_t>(&target_task, 1), source_task,
                  stream_index, values);
  pk.pack_array(static_cast<std::uint32_t>(anchors.size()));
  for (const auto& a : anchors) pk.pack_uint64(a.first);
  pk.pack_array(static_cast<std::uint32_t>(anchors.size()));
  for (const auto& a : anchors) pk.pack_uint64(a.second);
  ++tuples_;
}

void BatchEncoder::add_tuple(std::span<const std::int32_t> target_tasks, std::int32_t source_task,
                             std::int32_t stream_index, const Values& values,
                             std::span<const std::uint64_t> anchor_roots,
                             std::span<const std::uint64_t> anchor_values) {
  BufferSink sink(buffer_);
  Packer pk(sink);
  pack_tuple_head(pk, sink, target_tasks, source_task, stream_index, values);
  pk.pack_array(static_cast<std::uint32_t>(anchor_roots.size()));
  for (std::uint64_t root : anchor_roots) pk.pack_uint64(root);
  pk.pack_array(static_cast<std::uint32_t>(anchor_values.size()));
  for (std::uint64_t v : anchor_values) pk.pack_uint64(v);
  ++tuples_;
}

void BatchEncoder::add_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root,
                           std::uint64_t value) {
  BufferSink sink(buffer_);
  Packer pk(sink);
  pk.pack_array(format::kAckFields);
  pk.pack_uint8(static_cast<std::uint8_t>(format::RecordKind::ack));
  pk.pack_uint8(kind);
  pk.pack_int32(task);
  pk.pack_uint64(root);
  pk.pack_uint64(value);
  ++acks_;
}

std::span<const std::uint8_t> BatchEncoder::bytes() {
  format::set_counts(buffer_.data(), tuples_, acks_);
  return buffer_;
}

}  // namespace gale::transport
