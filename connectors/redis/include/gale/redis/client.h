#pragma once
// A synchronous Redis client over hiredis: argv commands, pipelines (one round trip per batch),
// reconnect after a lost connection. Every failure comes back as a value, an Error with a
// RedisErrc (gale/redis/errc.h) whose message names the server and the cause; nothing throws.
//
// Threading: not thread-safe. One client per executor (bolt instance), used from its thread.
// Calls block for at most about options.timeout per connect and per reply.
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gale/redis/errc.h"
#include "gale/redis/options.h"
#include "gale/redis/reply.h"
#include "gale/result.h"

struct redisContext;  // hiredis

namespace gale::redis {

class RedisClient {
 public:
  // Does not connect: the first call does, so a client can be made while Redis is down.
  explicit RedisClient(ConnectionOptions options);
  ~RedisClient();
  RedisClient(RedisClient&&) noexcept;
  RedisClient& operator=(RedisClient&&) noexcept;

  Result<Reply> command(const Command& command);
  // Sends every command, then reads every reply: one round trip. Replies come in command
  // order. On an error no reply is returned, though commands sent before the break may have
  // run (Redis pipelines are not transactions): callers retry the whole batch.
  Result<std::vector<Reply>> pipeline(std::span<const Command> commands);

  // Connected now (the next call will not have to reconnect, unless the server went away).
  bool connected() const { return context_ != nullptr; }
  const ConnectionOptions& options() const { return options_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using Context = std::unique_ptr<redisContext, ContextDeleter>;

  Status ensure_connected();
  Status connect();
  Result<std::vector<Reply>> exchange(std::span<const Command> commands);
  Error drop_connection();

  ConnectionOptions options_;
  Context context_;
  std::chrono::milliseconds backoff_{0};  // 0: the next connect may run at once
  std::chrono::steady_clock::time_point next_attempt_{};
  std::string last_connect_error_;
};

}  // namespace gale::redis
