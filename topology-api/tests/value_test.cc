// Values, Fields and Tuple access.
#include "gale/value.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "gale/errors.h"
#include "gale/tuple.h"
#include "test_support.h"

namespace gale {
namespace {

TEST(ValueTest, TypedAccessReturnsWhatWasStored) {
  EXPECT_TRUE(Value(true).as_bool());
  EXPECT_EQ(Value(-7).as_int(), -7);
  EXPECT_EQ(Value(2.5).as_double(), 2.5);
  EXPECT_EQ(Value("word").as_string(), "word");
  EXPECT_EQ(Value(Bytes{1, 2}).as_bytes(), (Bytes{1, 2}));
}

TEST(ValueTest, WrongTypedAccessThrowsTypeErrorNamingBothTypes) {
  EXPECT_EQ(message_of<TypeError>([] { Value("x").as_int(); }), "expected int64, got string");
  EXPECT_EQ(message_of<TypeError>([] { Value(1).as_bool(); }), "expected bool, got int64");
  EXPECT_EQ(message_of<TypeError>([] { Value().as_string(); }), "expected string, got null");
  EXPECT_EQ(message_of<TypeError>([] { Value(1.5).as_bytes(); }), "expected bytes, got double");
  EXPECT_EQ(message_of<TypeError>([] { Value(Bytes{}).as_double(); }),
            "expected double, got bytes");
}

TEST(ValueTest, AsDoubleWidensInt64) {
  EXPECT_EQ(Value(3).as_double(), 3.0);
  EXPECT_EQ(Value(-9007199254740992LL).as_double(), -9007199254740992.0);
}

TEST(ValueTest, TypeNamesAreTheDocumentedOnes) {
  EXPECT_STREQ(type_name(Value::Type::null), "null");
  EXPECT_STREQ(type_name(Value::Type::boolean), "bool");
  EXPECT_STREQ(type_name(Value::Type::int64), "int64");
  EXPECT_STREQ(type_name(Value::Type::float64), "double");
  EXPECT_STREQ(type_name(Value::Type::string), "string");
  EXPECT_STREQ(type_name(Value::Type::bytes), "bytes");
}

// Fields grouping routes by hash() % tasks in every worker: if these change, tuples of one
// key go to different tasks in workers of different versions. Change them only on purpose.
// The values were computed independently of value.cc (FNV-1a-64 over tag byte and content,
// then the splitmix64 finaliser).
TEST(ValueTest, HashIsPinnedSoEveryProcessRoutesAlike) {
  EXPECT_EQ(Value("word").hash(), 0xb9dc3eb12a56392fULL);
  EXPECT_EQ(Value(42).hash(), 0x61a9bca9ee1799d4ULL);
  EXPECT_EQ(Value(0.5).hash(), 0xb1558becc0a46dddULL);
  EXPECT_EQ(Value(true).hash(), 0xb031135599706da3ULL);
  EXPECT_EQ(Value().hash(), 0x25fc6dd36ce04b20ULL);
  EXPECT_EQ(Value(Bytes{0xde, 0xad}).hash(), 0x4a98d6a95355c309ULL);
}

TEST(ValueTest, EqualValuesHashEqual) {
  std::string built = "acc";
  built += "ount-17";
  EXPECT_EQ(Value(built).hash(), Value("account-17").hash());
  EXPECT_EQ(Value(-0.0).hash(), Value(0.0).hash());
  EXPECT_EQ(Value(Bytes{1, 2, 3}).hash(), Value(Bytes{1, 2, 3}).hash());
  EXPECT_EQ(Value(7).hash(), Value(7LL).hash());
}

TEST(ValueTest, SameBytesOfDifferentTypesHashDifferently) {
  EXPECT_NE(Value(std::string("\x01", 1)).hash(), Value(Bytes{1}).hash());
  EXPECT_NE(Value("").hash(), Value(Bytes{}).hash());
  EXPECT_NE(Value("").hash(), Value().hash());
}

TEST(ValueTest, HashSpreadsDistinctStringsEvenlyOverEightTasks) {
  constexpr int kKeys = 10000;
  constexpr int kTasks = 8;
  std::array<int, kTasks> per_task{};
  for (int i = 0; i < kKeys; ++i) ++per_task[Value("key-" + std::to_string(i)).hash() % kTasks];
  for (int count : per_task) {
    EXPECT_NEAR(count, kKeys / kTasks, kKeys / kTasks / 10);  // within 10% of even
  }
}

TEST(ValueTest, ToStringGivesReadableFormOfEachType) {
  EXPECT_EQ(Value().to_string(), "null");
  EXPECT_EQ(Value(true).to_string(), "true");
  EXPECT_EQ(Value(false).to_string(), "false");
  EXPECT_EQ(Value(-12).to_string(), "-12");
  EXPECT_EQ(Value(1.5).to_string(), "1.5");
  EXPECT_EQ(Value("as is").to_string(), "as is");
  EXPECT_EQ(Value(Bytes{0x00, 0xab, 0x10}).to_string(), "00ab10");
}

TEST(ValueTest, DoubleToStringIsShortestRoundTrip) {
  EXPECT_EQ(Value(0.1).to_string(), "0.1");
  EXPECT_EQ(Value(0.1 + 0.2).to_string(), "0.30000000000000004");
  EXPECT_EQ(Value(3.0).to_string(), "3");
}

TEST(FieldsTest, IndexOfGivesPositionOrNothing) {
  Fields f{"account", "amount"};
  EXPECT_EQ(f.index_of("amount"), 1u);
  EXPECT_EQ(f.index_of("account"), 0u);
  EXPECT_FALSE(f.index_of("Amount").has_value());
  EXPECT_TRUE(f.contains("account"));
}

TEST(FieldsTest, ToStringListsNamesInBrackets) {
  EXPECT_EQ((Fields{"a", "b"}).to_string(), "[a, b]");
  EXPECT_EQ(Fields{}.to_string(), "[]");
}

class TupleTest : public ::testing::Test {
 protected:
  detail::StreamSchema words_{"split", "default", {"word", "count"}};
  detail::StreamSchema tick_{kSystemComponent, kTickStream, {"secs"}};
};

TEST_F(TupleTest, GetByFieldReturnsTheValueAtThatField) {
  Tuple t = detail::TupleAccess::make(words_, {"fox", 3});
  EXPECT_EQ(t.get("count").as_int(), 3);
  EXPECT_EQ(t.get("word").as_string(), "fox");
  EXPECT_EQ(t.get(1).as_int(), 3);
}

TEST_F(TupleTest, GetByIndexOutOfRangeNamesStreamAndIndex) {
  Tuple t = detail::TupleAccess::make(words_, {"fox"});
  EXPECT_EQ(message_of<std::out_of_range>([&] { t.get(3); }),
            "tuple from split:default has 1 values; index 3 is out of range");
}

TEST_F(TupleTest, GetByUnknownFieldNamesStreamAndItsFields) {
  Tuple t = detail::TupleAccess::make(words_, {"fox", 3});
  EXPECT_EQ(message_of<std::out_of_range>([&] { t.get("wrd"); }),
            "stream split:default has no field 'wrd' (fields: [word, count])");
}

TEST_F(TupleTest, SourceIsTheStreamItCameFrom) {
  Tuple t = detail::TupleAccess::make(words_, {"fox", 3});
  EXPECT_EQ(t.source_component(), "split");
  EXPECT_EQ(t.source_stream(), "default");
  EXPECT_EQ(t.fields(), (Fields{"word", "count"}));
}

TEST_F(TupleTest, TupleWithoutStreamHasNoFieldsAndNoSource) {
  Tuple t;
  EXPECT_TRUE(t.fields().empty());
  EXPECT_EQ(t.source_component(), "");
  EXPECT_EQ(t.source_stream(), "");
  EXPECT_FALSE(t.is_tick());
  EXPECT_THROW(t.get(0), std::out_of_range);
}

TEST_F(TupleTest, IsTickOnlyForTheSystemTickStream) {
  detail::StreamSchema system_other{kSystemComponent, "metrics", {}};
  detail::StreamSchema user_tick{"split", kTickStream, {}};
  EXPECT_TRUE(detail::TupleAccess::make(tick_, {5}).is_tick());
  EXPECT_FALSE(detail::TupleAccess::make(system_other, {}).is_tick());
  EXPECT_FALSE(detail::TupleAccess::make(user_tick, {}).is_tick());
  EXPECT_FALSE(detail::TupleAccess::make(words_, {"fox", 1}).is_tick());
}

}  // namespace
}  // namespace gale
