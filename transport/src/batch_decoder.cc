// BatchDecoder: checks the header, then reads the records in place with WireReader.
#include <algorithm>
#include <limits>
#include <string_view>

#include "batch_format.h"
#include "gale/transport/batch_codec.h"
#include "wire_reader.h"

namespace gale::transport {
namespace {

using wire::WireError;
using wire::WireReader;
namespace tag = wire::tag;

bool is_integer_tag(std::uint8_t t) {
  return t <= tag::positive_fixint_max || t >= tag::negative_fixint_min ||
         (t >= tag::uint8 && t <= tag::uint64) || (t >= tag::int8 && t <= tag::int64);
}

std::string_view as_chars(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Overwrites `out` with the next value.
void read_value(WireReader& r, Value& out) {
  const std::uint8_t t = r.peek();
  if (is_integer_tag(t)) {
    out = Value(r.int64());
    return;
  }
  r.take(1);
  if (t == tag::nil) {
    out = Value();
  } else if (t == tag::false_ || t == tag::true_) {
    out = Value(t == tag::true_);
  } else if (t == tag::float64) {
    out = Value(r.float64());
  } else if ((t & 0xe0) == tag::fixstr) {
    out = Value(as_chars(r.take(t & 0x1f)));
  } else if (t >= tag::str8 && t <= tag::str32) {
    out = Value(as_chars(r.sized_body(t, tag::str8)));
  } else if (t >= tag::bin8 && t <= tag::bin32) {
    const auto body = r.sized_body(t, tag::bin8);
    out = Value(Bytes(body.begin(), body.end()));
  } else {
    r.fail(WireError::Fault::malformed,
           "has unsupported type (msgpack tag " + wire::tag_text(t) + ")");
  }
}

std::string counts_text(std::uint64_t tuples, std::uint64_t acks) {
  return std::to_string(tuples) + " tuples and " + std::to_string(acks) + " acks";
}

}  // namespace

// Where the decoder is in the batch, for error messages.
struct BatchDecoder::Progress {
  std::uint32_t tuples = 0;
  std::uint32_t acks = 0;
  const char* record = nullptr;  // "tuple" or "ack" once the current record's kind is known
  std::uint32_t index = 0;       // of the current record among its kind

  std::uint64_t records() const { return std::uint64_t{tuples} + acks; }
};

Status BatchDecoder::check_header(std::span<const std::uint8_t> bytes, const DecodeLimits& limits,
                                  BatchHeader& header) {
  if (bytes.size() > limits.max_batch_bytes) {
    return make_error(TransportErrc::oversized_batch,
                      "oversized batch: " + std::to_string(bytes.size()) + " bytes, limit " +
                          std::to_string(limits.max_batch_bytes));
  }
  if (bytes.size() < kBatchHeaderBytes) {
    return make_error(
        TransportErrc::not_a_batch,
        "not a Gale batch: " + std::to_string(bytes.size()) + " bytes, shorter than the header");
  }
  if (!std::equal(format::kMagic.begin(), format::kMagic.end(), bytes.begin())) {
    return make_error(TransportErrc::not_a_batch, "not a Gale batch: bad magic");
  }
  const std::uint8_t* h = bytes.data();
  header.format_version = format::load_le<std::uint16_t>(h + format::kVersionOffset);
  if (header.format_version != kWireFormatVersion) {
    return make_error(TransportErrc::unsupported_batch,
                      "unsupported batch format version " + std::to_string(header.format_version) +
                          " (this build reads version " + std::to_string(kWireFormatVersion) + ")");
  }
  if (const auto flags = format::load_le<std::uint16_t>(h + format::kFlagsOffset); flags != 0) {
    return make_error(TransportErrc::unsupported_batch,
                      "batch header has unknown flags " + std::to_string(flags));
  }
  header.topology_epoch = format::load_le<std::uint64_t>(h + format::kEpochOffset);
  header.tuple_count = format::load_le<std::uint32_t>(h + format::kTuplesOffset);
  header.ack_count = format::load_le<std::uint32_t>(h + format::kAcksOffset);
  return {};
}

Status BatchDecoder::decode(std::span<const std::uint8_t> bytes, BatchVisitor& visitor) {
  BatchHeader header{};
  if (Status s = check_header(bytes, limits_, header); !s) return s;
  if (!visitor.on_batch(header)) return {};

  WireReader r(bytes.subspan(kBatchHeaderBytes));
  Progress progress;
  const std::uint64_t expected = std::uint64_t{header.tuple_count} + header.ack_count;
  try {
    while (progress.records() < expected) {
      if (r.at_end()) {
        return make_error(TransportErrc::malformed_batch,
                          "truncated batch: expected " +
                              counts_text(header.tuple_count, header.ack_count) + ", got " +
                              counts_text(progress.tuples, progress.acks));
      }
      read_record(r, header, progress, visitor);
    }
  } catch (const WireError& e) {
    std::string where = progress.record == nullptr ? std::string()
                                                   : std::string(progress.record) + " " +
                                                         std::to_string(progress.index) + ": ";
    const char* kind = e.fault == WireError::Fault::truncated ? "truncated batch: " : "";
    return make_error(TransportErrc::malformed_batch, kind + where + e.what());
  }
  if (!r.at_end()) {
    return make_error(TransportErrc::malformed_batch,
                      "batch has " + std::to_string(r.remaining()) + " trailing bytes after its " +
                          counts_text(progress.tuples, progress.acks));
  }
  return {};
}

void BatchDecoder::read_record(WireReader& r, const BatchHeader& header, Progress& progress,
                               BatchVisitor& visitor) {
  progress.record = nullptr;
  r.field("record", static_cast<std::int64_t>(progress.records()));
  const std::uint32_t fields = r.array_header(std::numeric_limits<std::uint32_t>::max());
  const std::uint8_t kind = r.uint8();
  const bool is_tuple = kind == static_cast<std::uint8_t>(format::RecordKind::tuple);
  if (!is_tuple && kind != static_cast<std::uint8_t>(format::RecordKind::ack)) {
    r.fail(WireError::Fault::malformed, "has unknown kind " + std::to_string(kind));
  }
  const std::uint32_t expected_fields = is_tuple ? format::kTupleFields : format::kAckFields;
  if (fields != expected_fields) {
    r.fail(WireError::Fault::malformed, "has " + std::to_string(fields) + " fields, expected " +
                                            std::to_string(expected_fields));
  }
  const char* kind_name = is_tuple ? "tuple" : "ack";
  const std::uint32_t declared = is_tuple ? header.tuple_count : header.ack_count;
  std::uint32_t& seen = is_tuple ? progress.tuples : progress.acks;
  if (seen == declared) {
    r.fail(WireError::Fault::malformed, std::string("is one ") + kind_name +
                                            " more than the header's count of " +
                                            std::to_string(declared));
  }
  progress.record = kind_name;
  progress.index = seen;
  if (is_tuple) {
    read_tuple(r, visitor);
  } else {
    read_ack(r, visitor);
  }
  ++seen;
}

void BatchDecoder::read_tuple(WireReader& r, BatchVisitor& visitor) {
  r.field("target tasks");
  targets_.resize(r.array_header(limits_.max_targets_per_tuple));
  if (targets_.empty()) r.fail(WireError::Fault::malformed, "is empty");
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    r.field("target task", static_cast<std::int64_t>(i));
    targets_[i] = r.int32();
  }
  r.field("source task");
  const std::int32_t source_task = r.int32();
  r.field("stream index");
  const std::int32_t stream_index = r.int32();

  r.field("values");
  values_.resize(r.array_header(limits_.max_values_per_tuple));
  for (std::size_t i = 0; i < values_.size(); ++i) {
    r.field("value", static_cast<std::int64_t>(i));
    read_value(r, values_[i]);
  }

  r.field("anchor roots");
  roots_.resize(r.array_header(limits_.max_anchors_per_tuple));
  for (std::size_t i = 0; i < roots_.size(); ++i) {
    r.field("anchor root", static_cast<std::int64_t>(i));
    roots_[i] = r.uint64();
  }
  // One value per (target, root). The product is checked against the bytes left by
  // array_header, as every count is, before anything is allocated.
  r.field("ack values");
  const std::uint64_t expected = std::uint64_t{targets_.size()} * roots_.size();
  if (expected > limits_.max_anchors_per_tuple)
    r.fail(WireError::Fault::malformed, "would be " + std::to_string(expected) +
                                            " (targets x roots), limit " +
                                            std::to_string(limits_.max_anchors_per_tuple));
  const auto count = r.array_header(static_cast<std::uint32_t>(expected));
  if (count != expected)
    r.fail(WireError::Fault::malformed, "has " + std::to_string(count) + ", not " +
                                            std::to_string(expected) + " (targets x roots)");
  anchor_values_.resize(count);
  for (std::size_t i = 0; i < anchor_values_.size(); ++i) {
    r.field("ack value", static_cast<std::int64_t>(i));
    anchor_values_[i] = r.uint64();
  }
  visitor.on_tuple(TupleView{targets_, source_task, stream_index, values_, roots_, anchor_values_});
}

void BatchDecoder::read_ack(WireReader& r, BatchVisitor& visitor) {
  r.field("ack kind");
  const std::uint8_t kind = r.uint8();
  r.field("task");
  const std::int32_t task = r.int32();
  r.field("root");
  const std::uint64_t root = r.uint64();
  r.field("value");
  const std::uint64_t value = r.uint64();
  visitor.on_ack(kind, task, root, value);
}

}  // namespace gale::transport
