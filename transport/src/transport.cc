#include "gale/transport/transport.h"

namespace gale::transport {
namespace {

class OwnedBytes final : public Message::Payload {
 public:
  explicit OwnedBytes(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::span<const std::uint8_t> bytes() const override { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

}  // namespace

Message::Message(std::vector<std::uint8_t> bytes)
    : payload_(std::make_unique<OwnedBytes>(std::move(bytes))) {}

const char* to_string(SendResult r) {
  switch (r) {
    case SendResult::ok:
      return "ok";
    case SendResult::timed_out:
      return "timed out";
    case SendResult::unknown_peer:
      return "unknown peer";
    case SendResult::closed:
      return "closed";
  }
  return "?";
}

}  // namespace gale::transport
