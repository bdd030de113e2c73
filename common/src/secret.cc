#include "gale/common/secret.h"

#include <openssl/rand.h>

#include <vector>

#include "gale/common/errc.h"

namespace gale {

Result<std::string> random_secret_hex(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    return make_error(CommonErrc::io_error, "the system's random source failed");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes);
  for (unsigned char b : random) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 0xf];
  }
  return hex;
}

}  // namespace gale
