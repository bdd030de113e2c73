#pragma once
// Sends each account change's SMS at most once, whatever replays the topology does: a claim in
// Redis keyed on the event id guards the gateway call.
//
//   SET sms:<event> pending:<token> NX PX <lease>   the claim; only one attempt holds it
//   gateway POST (reference = event id, also the Idempotency-Key header)
//   SET sms:<event> sent:<gateway message id> EX <ttl>
//
// A replay that finds "sent" is a duplicate: nothing is sent. One that finds "pending" meets an
// attempt still in flight, or one whose worker died: it is retried later (the tuple fails and
// the spout replays it after its backoff) and wins once the lease has expired. A gateway
// failure releases the claim (only this attempt's: the token is compared in one script) so
// the retry can send. What this cannot rule out: a worker killed after the gateway accepted a
// message and before "sent" was written; the retry after the lease then sends again, with the
// same Idempotency-Key, which a gateway that honours it uses to drop the copy.
//
// Threading: one per executor; blocks on Redis and the gateway.
#include <chrono>
#include <cstdint>
#include <string>

#include "gale/redis/client.h"
#include "gale/sms/gateway_client.h"

namespace gale::notify {

struct SenderOptions {
  std::chrono::milliseconds lease{60000};        // sms.claim.lease.ms
  std::chrono::seconds remember{7 * 24 * 3600};  // sms.dedup.ttl.secs: how long "sent" is kept
  std::string key_prefix = "sms:";
};

// What one send did. Not a gale::Result: three of its kinds are not failures (sent, duplicate,
// in_flight), and what the caller must decide, ack or retry, cuts across ok/error (in_flight
// is retried like redis_error; a gateway refusal for good is acked like a duplicate).
struct SendOutcome {
  enum class Kind {
    sent,       // this attempt sent it
    duplicate,  // an earlier attempt sent it (or the gateway refused it for good): nothing sent now
    in_flight,  // another attempt holds the claim: retry later
    redis_error,    // the claim could not be taken or read: retry later
    gateway_error,  // the gateway failed: claim released, retry later; or (not retryable) it
                    // refused the message for good: marked so that no replay tries again
  };
  Kind kind = Kind::sent;
  std::string message_id;  // sent: the gateway's id
  std::string error;       // what went wrong
  bool retryable = true;   // gateway_error: worth another attempt
};

const char* kind_name(SendOutcome::Kind kind);

class IdempotentSender {
 public:
  IdempotentSender(redis::RedisClient& redis, sms::SmsGatewayClient& gateway,
                   SenderOptions options);

  SendOutcome send(const std::string& event_id, const sms::SmsMessage& message);

 private:
  std::string key(const std::string& event_id) const { return options_.key_prefix + event_id; }

  redis::RedisClient& redis_;
  sms::SmsGatewayClient& gateway_;
  SenderOptions options_;
  std::uint64_t token_seed_;
  std::uint64_t attempts_ = 0;
};

}  // namespace gale::notify
