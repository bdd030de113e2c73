#pragma once
// Fast per-thread 64-bit ids (xoshiro256**, seeded by splitmix64 from the OS). Not locked:
// each executor owns one generator. Ids are for tuple trees, not for cryptography.
#include <cstdint>
#include <random>

namespace gale {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class IdGenerator {
 public:
  IdGenerator()
      : IdGenerator((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                    std::random_device{}()) {}
  explicit IdGenerator(std::uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
  }
  // Never returns 0 (0 is the XOR identity and would vanish in the acker).
  std::uint64_t next() {
    std::uint64_t r;
    do {
      r = step();
    } while (r == 0);
    return r;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t step() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  std::uint64_t s_[4];
};

}  // namespace gale
