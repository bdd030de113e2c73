#include "gale/notify/idempotent_sender.h"

#include <chrono>
#include <random>

namespace gale::notify {
namespace {

// Releases a claim only if it is still this attempt's.
constexpr const char* kReleaseScript = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0)";

SendOutcome outcome(SendOutcome::Kind kind, std::string error = {}) {
  SendOutcome o;
  o.kind = kind;
  o.error = std::move(error);
  return o;
}

}  // namespace

const char* kind_name(SendOutcome::Kind kind) {
  switch (kind) {
    case SendOutcome::Kind::sent:
      return "sent";
    case SendOutcome::Kind::duplicate:
      return "duplicate";
    case SendOutcome::Kind::in_flight:
      return "in_flight";
    case SendOutcome::Kind::redis_error:
      return "redis_error";
    case SendOutcome::Kind::gateway_error:
      return "gateway_error";
  }
  return "?";
}

IdempotentSender::IdempotentSender(redis::RedisClient& redis, sms::SmsGatewayClient& gateway,
                                   SenderOptions options)
    : redis_(redis),
      gateway_(gateway),
      options_(std::move(options)),
      token_seed_(
          std::random_device{}() ^
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
}

SendOutcome IdempotentSender::send(const std::string& event_id, const sms::SmsMessage& message) {
  const std::string k = key(event_id);
  const std::string token =
      "pending:" + std::to_string(token_seed_) + "-" + std::to_string(++attempts_);
  auto claim =
      redis_.command({"SET", k, token, "NX", "PX", std::to_string(options_.lease.count())});
  if (!claim) return outcome(SendOutcome::Kind::redis_error, claim.error().message);
  if (claim.value().is_error()) return outcome(SendOutcome::Kind::redis_error, claim.value().str);
  if (claim.value().is_nil()) {  // someone holds or held it
    auto held = redis_.command({"GET", k});
    if (!held) return outcome(SendOutcome::Kind::redis_error, held.error().message);
    if (held.value().str.starts_with("sent") || held.value().str.starts_with("rejected"))
      return outcome(SendOutcome::Kind::duplicate);
    return outcome(SendOutcome::Kind::in_flight, "another attempt holds " + k);
  }

  auto result = gateway_.send(message);
  if (!result) {
    SendOutcome o = outcome(SendOutcome::Kind::gateway_error, result.error().message);
    o.retryable = sms::retryable(result.error());
    if (o.retryable) {
      (void)redis_.command({"EVAL", kReleaseScript, "1", k, token});  // else the lease expires
    } else {  // the gateway refuses this message as it is: a replay must not try it again
      (void)redis_.command({"SET", k,
                            "rejected:" + std::to_string(sms::http_status(result.error())), "EX",
                            std::to_string(options_.remember.count())});
    }
    return o;
  }
  // Sent. If this write fails the claim stays "pending" until its lease ends; the message was
  // sent all the same, so the caller acks it and no replay comes.
  (void)redis_.command(
      {"SET", k, "sent:" + result->message_id, "EX", std::to_string(options_.remember.count())});
  SendOutcome o = outcome(SendOutcome::Kind::sent);
  o.message_id = result->message_id;
  return o;
}

}  // namespace gale::notify
