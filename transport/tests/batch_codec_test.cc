#include "gale/transport/batch_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <msgpack.hpp>

#include "batch_test_support.h"

namespace gale::transport {
namespace {

using testing::DecodedAck;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RecordingVisitor;

std::vector<std::uint8_t> copy_of(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

RecordingVisitor decode_ok(std::span<const std::uint8_t> bytes) {
  RecordingVisitor v;
  BatchDecoder decoder;
  const Status s = decoder.decode(bytes, v);
  EXPECT_TRUE(s) << s.error().message;
  return v;
}

std::string decode_error(std::span<const std::uint8_t> bytes, DecodeLimits limits = {}) {
  RecordingVisitor v;
  BatchDecoder decoder(limits);
  const Status s = decoder.decode(bytes, v);
  EXPECT_FALSE(s) << "decoded what should have been rejected";
  return s.error().message;
}

// A batch whose header announces `tuples` tuples and `acks` acks, followed by `body` as packed
// by the test: for inputs BatchEncoder would never write.
template <typename PackBody>
std::vector<std::uint8_t> handmade_batch(std::uint32_t tuples, std::uint32_t acks, PackBody pack) {
  BatchEncoder enc;
  for (std::uint32_t i = 0; i < acks; ++i) enc.add_ack(0, 0, 0, 0);
  auto header = copy_of(enc.bytes().first(kBatchHeaderBytes));
  header[16] = static_cast<std::uint8_t>(tuples);  // tuple count, little-endian low byte
  msgpack::sbuffer body;
  msgpack::packer<msgpack::sbuffer> pk(body);
  pack(pk);
  header.insert(header.end(), body.data(), body.data() + body.size());
  return header;
}

TEST(BatchCodecTest, RoundTripsEveryValueType) {
  BatchEncoder enc;
  const Values values = testing::every_value_type();
  enc.add_tuple(1, 2, 3, values, {});
  const auto v = decode_ok(enc.bytes());
  ASSERT_EQ(v.tuples.size(), 1u);
  EXPECT_EQ(v.tuples[0].values, values);
  for (std::size_t i : {9u, 10u, 11u, 12u}) EXPECT_TRUE(v.tuples[0].values[i].is_double()) << i;
  EXPECT_TRUE(std::signbit(v.tuples[0].values[10].as_double()));  // -0.0 stays negative
}

TEST(BatchCodecTest, RoundTripsNaNBitForBit) {
  BatchEncoder enc;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  enc.add_tuple(1, 2, 3, Values{Value(nan)}, {});
  const auto v = decode_ok(enc.bytes());
  ASSERT_EQ(v.tuples.size(), 1u);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(v.tuples[0].values[0].as_double()),
            std::bit_cast<std::uint64_t>(nan));
}

TEST(BatchCodecTest, RoundTripsTaskIdsAnchorsAndAcksInOrder) {
  const auto v = decode_ok(testing::sample_batch());
  EXPECT_EQ(v.header.topology_epoch, 7u);
  EXPECT_EQ(v.header.tuple_count, 3u);
  EXPECT_EQ(v.header.ack_count, 2u);
  EXPECT_EQ(v.order, "tatat");
  ASSERT_EQ(v.tuples.size(), 3u);
  EXPECT_THAT(v.tuples[0].targets, ElementsAre(3));
  EXPECT_EQ(v.tuples[0].source_task, 1);
  EXPECT_EQ(v.tuples[0].stream_index, 0);
  EXPECT_THAT(v.tuples[0].anchors(),
              ElementsAre(Anchor{1, 2}, Anchor{~std::uint64_t{0}, 0x8000000000000000ull}));
  EXPECT_THAT(v.tuples[1].targets, ElementsAre(4, 5, 6));
  EXPECT_TRUE(v.tuples[1].roots.empty());
  EXPECT_THAT(v.tuples[2].targets, ElementsAre(7, 8));
  EXPECT_THAT(v.tuples[2].values, ElementsAre(Value("shared")));
  EXPECT_THAT(v.tuples[2].anchors(0), ElementsAre(Anchor{100, 71}, Anchor{200, 72}));
  EXPECT_THAT(v.tuples[2].anchors(1), ElementsAre(Anchor{100, 81}, Anchor{200, 82}));
  EXPECT_THAT(v.acks,
              ElementsAre(DecodedAck{2, 9, 0x1234567890abcdefull, 77}, DecodedAck{0, 10, 1, 0}));
}

TEST(BatchCodecTest, NegativeAndExtremeTaskIdsRoundTrip) {
  BatchEncoder enc;
  const std::int32_t min = std::numeric_limits<std::int32_t>::min();
  const std::int32_t max = std::numeric_limits<std::int32_t>::max();
  enc.add_tuple(max, min, -1, {}, {});
  enc.add_ack(255, min, 0, ~std::uint64_t{0});
  const auto v = decode_ok(enc.bytes());
  ASSERT_EQ(v.tuples.size(), 1u);
  EXPECT_THAT(v.tuples[0].targets, ElementsAre(max));
  EXPECT_EQ(v.tuples[0].source_task, min);
  EXPECT_EQ(v.tuples[0].stream_index, -1);
  EXPECT_THAT(v.acks, ElementsAre(DecodedAck{255, min, 0, ~std::uint64_t{0}}));
}

TEST(BatchCodecTest, MultiTargetTupleSerialisesValuesOnce) {
  const Values values{Value(std::string(1000, 'x'))};
  const std::vector<std::int32_t> targets = {4, 5, 6};
  BatchEncoder one;
  one.add_tuple(4, 1, 0, values, {});
  BatchEncoder three;
  three.add_tuple(targets, 1, 0, values, {}, {});
  // Two more small task ids cost two bytes, not another copy of the values.
  EXPECT_EQ(three.bytes().size(), one.bytes().size() + 2);
}

// Per-target ack values must be one per (target, root): anything else is refused, naming it.
TEST(BatchCodecTest, RefusesAckValuesThatDoNotMatchTargetsTimesRoots) {
  const std::vector<std::int32_t> targets = {4, 5};
  const std::vector<std::uint64_t> roots = {9};
  const std::vector<std::uint64_t> three = {1, 2, 3};
  BatchEncoder enc;
  enc.add_tuple(targets, 1, 0, Values{Value(1)}, roots, three);
  EXPECT_THAT(decode_error(enc.bytes()), HasSubstr("has 3 elements, limit 2"));
  const std::vector<std::uint64_t> one = {1};
  enc.reset(0);
  enc.add_tuple(targets, 1, 0, Values{Value(1)}, roots, one);
  EXPECT_THAT(decode_error(enc.bytes()), HasSubstr("ack values has 1, not 2 (targets x roots)"));
  // Targets x roots is bounded like the roots, whatever the bytes would allow.
  const std::vector<std::int32_t> many(300, 4);
  const std::vector<std::uint64_t> roots300(300, 9);
  const std::vector<std::uint64_t> values(90000, 1);
  enc.reset(0);
  enc.add_tuple(many, 1, 0, Values{Value(1)}, roots300, values);
  EXPECT_THAT(decode_error(enc.bytes()),
              HasSubstr("would be 90000 (targets x roots), limit 65536"));
}

TEST(BatchCodecTest, EncoderReusesItsBufferAcrossBatches) {
  BatchEncoder enc;
  const Values values{Value(std::string(200, 'v')), Value(1)};
  auto fill = [&] {
    enc.reset(1);
    for (int i = 0; i < 100; ++i) enc.add_tuple(1, 2, 0, values, {});
    return enc.bytes();
  };
  const auto first = fill();
  const auto second = fill();
  EXPECT_EQ(first.data(), second.data());
  EXPECT_EQ(first.size(), second.size());
}

TEST(BatchCodecTest, EmptyBatchDecodesToNothing) {
  BatchEncoder enc;
  enc.reset(3);
  EXPECT_TRUE(enc.empty());
  EXPECT_EQ(enc.bytes().size(), kBatchHeaderBytes);
  const auto v = decode_ok(enc.bytes());
  EXPECT_EQ(v.header.topology_epoch, 3u);
  EXPECT_TRUE(v.order.empty());
}

TEST(BatchCodecTest, VisitorCanSkipABatch) {
  RecordingVisitor v;
  v.accept = false;
  BatchDecoder decoder;
  EXPECT_TRUE(decoder.decode(testing::sample_batch(), v));
  EXPECT_TRUE(v.order.empty());
}

TEST(BatchCodecTest, VisitorCanSwapValuesOut) {
  struct Keeper : BatchVisitor {
    void on_tuple(const TupleView& t) override { kept.emplace_back().swap(t.values); }
    void on_ack(std::uint8_t, std::int32_t, std::uint64_t, std::uint64_t) override {}
    std::vector<Values> kept;
  } keeper;
  BatchEncoder enc;
  enc.add_tuple(1, 1, 0, Values{Value("a"), Value(1)}, {});
  enc.add_tuple(1, 1, 0, Values{Value("b")}, {});
  BatchDecoder decoder;
  ASSERT_TRUE(decoder.decode(enc.bytes(), keeper));
  EXPECT_THAT(keeper.kept, ElementsAre(Values{Value("a"), Value(1)}, Values{Value("b")}));
}

TEST(BatchCodecTest, RejectsForeignAndOldMessages) {
  auto batch = testing::sample_batch();
  EXPECT_THAT(decode_error(std::span(batch).first(5)), HasSubstr("shorter than the header"));
  auto foreign = batch;
  foreign[0] = 'X';
  EXPECT_THAT(decode_error(foreign), HasSubstr("bad magic"));
  auto old = batch;
  old[4] = 0;  // format version 0
  EXPECT_THAT(decode_error(old), HasSubstr("unsupported batch format version 0"));
  auto flagged = batch;
  flagged[6] = 1;
  EXPECT_THAT(decode_error(flagged), HasSubstr("unknown flags 1"));
}

TEST(BatchCodecTest, RejectsOversizedBatch) {
  DecodeLimits limits;
  limits.max_batch_bytes = 64;
  EXPECT_THAT(decode_error(testing::sample_batch(), limits), HasSubstr("oversized batch"));
}

TEST(BatchCodecTest, RejectsTruncatedBatchNamingWhatIsMissing) {
  BatchEncoder enc;
  for (int i = 0; i < 3; ++i) enc.add_tuple(1, 2, 0, Values{Value(i)}, {});
  auto bytes = copy_of(enc.bytes());
  const std::size_t one_tuple = (bytes.size() - kBatchHeaderBytes) / 3;
  EXPECT_EQ(decode_error(std::span(bytes).first(kBatchHeaderBytes + one_tuple)),
            "truncated batch: expected 3 tuples and 0 acks, got 1 tuples and 0 acks");
  EXPECT_EQ(decode_error(std::span(bytes).first(bytes.size() - 1)),
            "truncated batch: tuple 2: ack values is cut short");
}

TEST(BatchCodecTest, RejectsTrailingBytes) {
  auto bytes = testing::sample_batch();
  bytes.push_back(0xc0);
  EXPECT_EQ(decode_error(bytes), "batch has 1 trailing bytes after its 3 tuples and 2 acks");
}

TEST(BatchCodecTest, RejectsTypeConfusedValue) {
  const auto bytes = handmade_batch(1, 0, [](auto& pk) {
    pk.pack_array(7);
    pk.pack_uint8(0);
    pk.pack_array(1);
    pk.pack_int32(1);
    pk.pack_int32(2);
    pk.pack_int32(0);
    pk.pack_array(2);
    pk.pack_int32(5);
    pk.pack_map(0);  // a map is no Value
    pk.pack_array(0);
    pk.pack_array(0);
  });
  EXPECT_EQ(decode_error(bytes), "tuple 0: value 1 has unsupported type (msgpack tag 0x80)");
}

TEST(BatchCodecTest, RejectsWrongFieldTypesAndRanges) {
  const auto string_task = handmade_batch(0, 1, [](auto& pk) {
    pk.pack_array(5);
    pk.pack_uint8(1);
    pk.pack_uint8(0);
    pk.pack("task");
    pk.pack_uint64(1);
    pk.pack_uint64(1);
  });
  EXPECT_THAT(decode_error(string_task), HasSubstr("ack 0: task is not an integer"));
  const auto wide_target = handmade_batch(1, 0, [](auto& pk) {
    pk.pack_array(7);
    pk.pack_uint8(0);
    pk.pack_array(1);
    pk.pack_int64(std::int64_t{1} << 40);
  });
  EXPECT_THAT(decode_error(wide_target), HasSubstr("tuple 0: target task 0 is out of int32 range"));
  const auto unknown_kind = handmade_batch(1, 0, [](auto& pk) {
    pk.pack_array(6);
    pk.pack_uint8(9);
    for (int i = 0; i < 5; ++i) pk.pack_nil();
  });
  EXPECT_EQ(decode_error(unknown_kind), "record 0 has unknown kind 9");
}

TEST(BatchCodecTest, RejectsCountsBeyondLimitsOrInput) {
  const auto huge_array = handmade_batch(1, 0, [](auto& pk) {
    pk.pack_array(7);
    pk.pack_uint8(0);
    pk.pack_array(0xffffffffu);  // four billion targets announced in a few bytes
    pk.pack_nil();               // (one byte more: a 7-field record takes at least 7)
  });
  EXPECT_THAT(decode_error(huge_array), HasSubstr("target tasks has 4294967295 elements, limit"));
  DecodeLimits roomy;
  roomy.max_targets_per_tuple = 0xffffffffu;
  EXPECT_THAT(decode_error(huge_array, roomy),
              HasSubstr("truncated batch: tuple 0: target tasks declares 4294967295 elements"));
  BatchEncoder enc;
  enc.add_tuple(1, 1, 0, Values(5, Value(1)), {});
  DecodeLimits few_values;
  few_values.max_values_per_tuple = 4;
  EXPECT_EQ(decode_error(enc.bytes(), few_values), "tuple 0: values has 5 elements, limit 4");
}

TEST(BatchCodecTest, RejectsMoreRecordsThanTheHeaderSays) {
  BatchEncoder enc;
  enc.add_ack(0, 0, 0, 0);
  enc.add_tuple(1, 1, 0, {}, {});
  auto bytes = copy_of(enc.bytes());
  bytes[16] = 0;  // header: no tuples
  bytes[20] = 2;  // header: two acks
  EXPECT_EQ(decode_error(bytes), "record 1 is one tuple more than the header's count of 0");
}

}  // namespace
}  // namespace gale::transport
