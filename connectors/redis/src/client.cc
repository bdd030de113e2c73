#include "gale/redis/client.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>
#include <string_view>

namespace gale::redis {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

Reply to_reply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? Reply::Type::string
                 : r.type == REDIS_REPLY_STATUS ? Reply::Type::status
                                                : Reply::Type::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(to_reply(*r.element[i]));
      break;
    default:
      out.type = Reply::Type::nil;
  }
  return out;
}

// hiredis writes with write(2), which raises SIGPIPE on a connection the server has reset, and
// SIGPIPE ends the whole worker. Blocked in this thread for the duration of a call, and one it
// raised is taken off the pending set, so the write fails with EPIPE and comes back as an error.
// The process's signal dispositions are left alone: they are the application's.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
  }
  ~SigpipeBlock() {
    int saved_errno = errno;
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec no_wait{0, 0};
      sigtimedwait(&pipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
    errno = saved_errno;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t saved_;
  bool was_pending_ = false;
};

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

}  // namespace

void RedisClient::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

RedisClient::RedisClient(ConnectionOptions options) : options_(std::move(options)) {}
RedisClient::~RedisClient() = default;
RedisClient::RedisClient(RedisClient&&) noexcept = default;
RedisClient& RedisClient::operator=(RedisClient&&) noexcept = default;

Result<Reply> RedisClient::command(const Command& command) {
  Result<std::vector<Reply>> replies = pipeline(std::span(&command, 1));
  if (!replies) return replies.error();
  return std::move(replies.value().front());
}

Result<std::vector<Reply>> RedisClient::pipeline(std::span<const Command> commands) {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].empty()) {
      return make_error(RedisErrc::invalid_command, "command " + std::to_string(i) + " of " +
                                                        std::to_string(commands.size()) +
                                                        " is empty (no argv); nothing was sent");
    }
  }
  SigpipeBlock no_sigpipe;
  if (Status connected = ensure_connected(); !connected) return connected.error();
  return exchange(commands);
}

Status RedisClient::ensure_connected() {
  if (context_) return {};
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
    return make_error(RedisErrc::backoff, last_connect_error_ + "; next reconnect attempt in " +
                                              std::to_string(wait.count()) + " ms");
  }
  Status connected = connect();
  if (connected) {
    backoff_ = std::chrono::milliseconds(0);
    return {};
  }
  // Back off so that callers retrying during an outage do not hammer a dead server.
  backoff_ = backoff_.count() == 0 ? kFirstBackoff
                                   : std::min(backoff_ * 2, options_.reconnect_backoff_max);
  next_attempt_ = now + backoff_;
  last_connect_error_ = connected.error().message;
  return connected;
}

Status RedisClient::connect() {
  auto failed = [&](std::string_view why) {
    return make_error(RedisErrc::connect, "redis " + options_.address() + ": " + std::string(why));
  };
  timeval timeout = to_timeval(options_.timeout);
  Context context(redisConnectWithTimeout(options_.host.c_str(), options_.port, timeout));
  if (!context) return failed("cannot allocate a hiredis context");
  if (context->err) return failed(std::string("cannot connect: ") + context->errstr);
  if (redisSetTimeout(context.get(), timeout) != REDIS_OK) {
    return failed(std::string("cannot set the reply timeout: ") + context->errstr);
  }
  redisEnableKeepAlive(context.get());
  context_ = std::move(context);

  std::vector<Command> login;
  if (!options_.password.empty()) login.push_back({"AUTH", options_.password});
  if (options_.db != 0) login.push_back({"SELECT", std::to_string(options_.db)});
  if (login.empty()) return {};
  Result<std::vector<Reply>> replies = exchange(login);
  if (!replies) return failed(replies.error().message);
  for (std::size_t i = 0; i < login.size(); ++i) {
    const Reply& reply = replies.value()[i];
    if (reply.is_error()) {
      context_.reset();
      return failed(login[i][0] + " failed: " + reply.str);
    }
  }
  return {};
}

Result<std::vector<Reply>> RedisClient::exchange(std::span<const Command> commands) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const Command& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return drop_connection();
    }
  }
  // The first redisGetReply writes every queued command; then each reads until its reply.
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK) return drop_connection();
    std::unique_ptr<void, ReplyDeleter> reply(raw);
    replies.push_back(to_reply(*static_cast<redisReply*>(raw)));
  }
  return replies;
}

// After a failed hiredis call: the context is unusable (hiredis keeps no state to resume
// from), so it goes, and the next call reconnects at once.
Error RedisClient::drop_connection() {
  int saved_errno = errno;  // read first: a blocking read that timed out leaves EAGAIN
  Error error;
  std::string prefix = "redis " + options_.address() + ": ";
  if (context_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    error = make_error(RedisErrc::timeout, prefix + "no reply within " +
                                               std::to_string(options_.timeout.count()) + " ms");
  } else if (context_->err == REDIS_ERR_PROTOCOL) {
    error = make_error(RedisErrc::protocol, prefix + "protocol error: " + context_->errstr);
  } else {
    error = make_error(RedisErrc::io, prefix + "connection lost: " + context_->errstr);
  }
  context_.reset();
  backoff_ = std::chrono::milliseconds(0);
  next_attempt_ = {};
  return error;
}

}  // namespace gale::redis
