#pragma once
// A synchronous Redis client over hiredis: argv commands, pipelines (one round trip per batch),
// reconnect after a lost connection. Every failure comes back as a value; nothing throws.
//
// Threading: not thread-safe. One client per executor (bolt instance), used from its thread.
// Calls block for at most about options.timeout per connect and per reply.
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "gale/redis/options.h"
#include "gale/redis/reply.h"

struct redisContext;  // hiredis

namespace gale::redis {

// Why a call got no reply. A reply of Redis's own error type (WRONGTYPE, ERR ...) is not
// this: it is a Reply of Type::error, and the connection stays usable.
struct RedisError {
  enum class Kind {
    connect,          // could not connect, or AUTH/SELECT on connect failed
    io,               // the connection broke during the call (the server went away)
    timeout,          // no reply within options.timeout; the connection is dropped
    protocol,         // the server sent something that is not RESP
    backoff,          // not attempted: the last reconnect failed and the backoff has not passed
    invalid_command,  // an empty argv; nothing was sent
  };
  Kind kind = Kind::io;
  std::string message;  // names the server and the cause
};

const char* kind_name(RedisError::Kind kind);

// A value, or the RedisError that kept the call from producing one.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(RedisError error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Asking for the wrong side is a caller's bug: throws std::logic_error.
  const T& value() const {
    if (!ok()) throw std::logic_error("redis result holds an error: " + error().message);
    return std::get<0>(v_);
  }
  T& value() {
    if (!ok()) throw std::logic_error("redis result holds an error: " + error().message);
    return std::get<0>(v_);
  }
  const RedisError& error() const {
    if (ok()) throw std::logic_error("redis result holds a value, not an error");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, RedisError> v_;
};

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

  std::optional<RedisError> ensure_connected();
  std::optional<RedisError> connect();
  Result<std::vector<Reply>> exchange(std::span<const Command> commands);
  RedisError drop_connection();

  ConnectionOptions options_;
  Context context_;
  std::chrono::milliseconds backoff_{0};  // 0: the next connect may run at once
  std::chrono::steady_clock::time_point next_attempt_{};
  std::string last_connect_error_;
};

}  // namespace gale::redis
