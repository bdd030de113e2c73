// Deterministic mutation fuzzing of BatchDecoder: every mutated input must give an error or a
// complete, consistent result, never a crash, and never an allocation out of proportion to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "allocation_tracker.h"
#include "batch_test_support.h"

namespace gale::transport {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Decodes `input` and checks the outcome: an error with a message, or exactly the records the
// header announced.
class FuzzHarness {
 public:
  void check(std::span<const std::uint8_t> input) {
    testing::RecordingVisitor v;
    std::size_t largest_allocation = 0;
    Status s;
    {
      testing::LargestAllocation tracker;
      s = decoder_.decode(input, v);
      largest_allocation = tracker.bytes();
    }
    ++runs_;
    // A Value takes 40 bytes per input byte, doubled by vector growth; the rest is smaller.
    ASSERT_LE(largest_allocation, 128 * input.size() + 4096) << "input of " << input.size();
    if (!s) {
      ASSERT_FALSE(s.error().message.empty());
      ++errors_;
      return;
    }
    if (!v.accept) return;
    ASSERT_EQ(v.tuples.size(), v.header.tuple_count);
    ASSERT_EQ(v.acks.size(), v.header.ack_count);
    for (const auto& t : v.tuples) ASSERT_FALSE(t.targets.empty());
  }

  int runs() const { return runs_; }
  int errors() const { return errors_; }

 private:
  BatchDecoder decoder_;  // one decoder throughout: its reused scratch must survive bad input
  int runs_ = 0;
  int errors_ = 0;
};

std::vector<Bytes> seeds() {
  std::vector<Bytes> out{testing::sample_batch()};
  BatchEncoder enc;
  enc.add_tuple(1, 2, 3, testing::every_value_type(), {});
  auto big = enc.bytes();
  // Keep the 70 kB bytes value out of the per-bit loops: use the batch only truncated.
  out.emplace_back(big.begin(), big.end());
  enc.reset(1);
  for (int i = 0; i < 5; ++i) enc.add_tuple(i, i + 1, 0, Values{Value(i), Value("ab")}, {});
  out.emplace_back(enc.bytes().begin(), enc.bytes().end());
  return out;
}

TEST(BatchFuzzTest, EveryTruncationIsRejected) {
  FuzzHarness h;
  for (const Bytes& seed : seeds()) {
    for (std::size_t n = 0; n < seed.size(); ++n) {
      h.check(std::span(seed).first(n));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(h.errors(), h.runs()) << "a strict prefix of a batch decoded as complete";
}

TEST(BatchFuzzTest, EverySingleBitFlipIsHandled) {
  FuzzHarness h;
  const Bytes seed = testing::sample_batch();
  for (std::size_t bit = 0; bit < seed.size() * 8; ++bit) {
    Bytes m = seed;
    m[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    h.check(m);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(h.errors(), 0);
}

// Random edits of a valid batch, each of: flip bits, overwrite with bytes that announce large
// lengths, insert bytes, delete a range, replace the body with garbage.
Bytes mutate(const Bytes& seed, std::mt19937_64& rng) {
  static constexpr std::uint8_t kLoud[] = {0xdd, 0xdc, 0xdb, 0xc6, 0xcf, 0xd3, 0xff, 0x7f,
                                           0x9f, 0xc1, 0xca, 0xd4, 0x80, 0xc0, 0x00};
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  Bytes m = seed;
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !m.empty(); ++e) {
    switch (pick(5)) {
      case 0:
        m[pick(m.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
        break;
      case 1:
        for (std::size_t i = pick(m.size()), k = 0; i < m.size() && k < 5; ++i, ++k) {
          m[i] = k == 0 ? kLoud[pick(std::size(kLoud))] : 0xff;
        }
        break;
      case 2: {
        const std::size_t at = pick(m.size() + 1);
        Bytes extra(1 + pick(8));
        for (auto& b : extra) b = static_cast<std::uint8_t>(rng());
        m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
        break;
      }
      case 3: {
        const std::size_t at = pick(m.size());
        m.erase(m.begin() + static_cast<std::ptrdiff_t>(at),
                m.begin() + static_cast<std::ptrdiff_t>(std::min(m.size(), at + 1 + pick(16))));
        break;
      }
      default: {
        m.resize(std::min(m.size(), kBatchHeaderBytes));
        const std::size_t garbage = pick(512);
        for (std::size_t i = 0; i < garbage; ++i) m.push_back(static_cast<std::uint8_t>(rng()));
        break;
      }
    }
  }
  return m;
}

TEST(BatchFuzzTest, RandomMutationsAreHandled) {
  FuzzHarness h;
  std::mt19937_64 rng(20240611);  // fixed: every run checks the same inputs
  const std::vector<Bytes> all = seeds();
  const std::vector<Bytes> small = {all[0], all[2]};
  for (int i = 0; i < 20000; ++i) {
    h.check(mutate(small[i % small.size()], rng));
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(h.errors(), h.runs() / 2);
}

TEST(BatchFuzzTest, RandomGarbageIsRejected) {
  FuzzHarness h;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    Bytes m(static_cast<std::size_t>(rng() % 2048));
    for (auto& b : m) b = static_cast<std::uint8_t>(rng());
    h.check(m);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(h.errors(), h.runs());
}

}  // namespace
}  // namespace gale::transport
