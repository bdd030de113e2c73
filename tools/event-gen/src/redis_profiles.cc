#include "redis_profiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <span>
#include <stdexcept>

#include "gale/redis/client.h"

namespace gale::eventgen {

namespace {

// Profiles per pipeline: one round trip each, small enough that a reply never waits long.
constexpr std::size_t kBatch = 1000;
// A loaded or distant server may take longer than the client's default second per reply.
constexpr std::chrono::milliseconds kTimeout{5000};

redis::Command hset(const events::CustomerProfile& p) {
  return {"HSET",
          "customer:" + p.customer,
          "phone",
          p.phone,
          "name",
          p.name,
          "language",
          p.language,
          "notify_threshold_minor",
          std::to_string(p.notify_threshold_minor),
          "opted_in",
          p.opted_in ? "true" : "false"};
}

}  // namespace

std::optional<redis::ConnectionOptions> parse_redis_address(const std::string& text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host.find_first_of("[]") != std::string::npos) return std::nullopt;
  std::string_view port_text = std::string_view(text).substr(colon + 1);
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
    return std::nullopt;
  redis::ConnectionOptions options;
  options.host = host;
  options.port = port;
  options.timeout = kTimeout;
  return options;
}

std::int64_t load_profiles(const redis::ConnectionOptions& server,
                           const std::vector<events::CustomerProfile>& profiles) {
  redis::RedisClient client(server);
  std::vector<redis::Command> batch;
  std::size_t loaded = 0;
  while (loaded < profiles.size()) {
    std::size_t n = std::min(kBatch, profiles.size() - loaded);
    batch.clear();
    for (std::size_t i = loaded; i < loaded + n; ++i) batch.push_back(hset(profiles[i]));
    Result<std::vector<redis::Reply>> replies = client.pipeline(batch);
    if (!replies) {
      std::string message = "cannot load profiles into " + replies.error().message;
      if (loaded > 0) message += fmt::format(" ({} of {} were loaded)", loaded, profiles.size());
      throw std::runtime_error(message);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const redis::Reply& reply = replies.value()[i];
      if (reply.is_error())
        throw std::runtime_error(
            fmt::format("redis {}: HSET {} refused: {}", server.address(), batch[i][1], reply.str));
    }
    loaded += n;
  }
  return static_cast<std::int64_t>(loaded);
}

}  // namespace gale::eventgen
