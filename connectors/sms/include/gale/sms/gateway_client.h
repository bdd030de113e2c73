#pragma once
// A client of an SMS gateway's HTTP API: POST {"to","text","reference"} as JSON to a
// configured http:// URL, with the reference also sent as the Idempotency-Key header, so that
// a gateway that honours it sends a replayed message once.
//
// Connections: one keep-alive connection, reused by later sends and reopened when it broke.
// A send on a reused connection that the gateway had closed (it restarted, or dropped an idle
// connection) is retried once on a fresh connection, but only when no byte of a response came
// back: the request may then have reached a gateway that died before answering, which is why
// the Idempotency-Key is sent. No other retry: a failed send is the caller's to retry (a bolt
// fails its tuple).
//
// Threading: not thread-safe. One client per executor (bolt instance), used from its thread.
// send() blocks for at most about options.request_timeout.
#include <chrono>
#include <memory>
#include <string>

#include "gale/config.h"
#include "gale/result.h"
#include "gale/sms/errc.h"

namespace gale::sms {

namespace conf {
inline constexpr const char* kGatewayUrl = "sms.gateway.url";                       // required
inline constexpr const char* kConnectTimeoutMs = "sms.gateway.connect.timeout.ms";  // 1000
inline constexpr const char* kRequestTimeoutMs = "sms.gateway.timeout.ms";          // 5000
}  // namespace conf

struct GatewayOptions {
  // http://host[:port][/path]; https is not supported. Checked by the client's constructor.
  std::string url;
  std::chrono::milliseconds connect_timeout{1000};
  // The whole send: connect (if needed), request, response.
  std::chrono::milliseconds request_timeout{5000};

  // From the sms.gateway.* keys; throws std::invalid_argument naming a missing or bad key.
  static GatewayOptions from_config(const Config& config);
};

struct SmsMessage {
  std::string to;  // the phone number, E.164 ("+31612345678"); the gateway checks it
  std::string text;
  std::string reference;  // the idempotency key: the same for every attempt at one message
};

// What the gateway answered a message it took (a 2xx).
struct SendReceipt {
  int http_status = 0;
  std::string message_id;  // the gateway's "id" from a JSON body, if it sent one
};

// The HTTP status of an error the gateway answered with (server_error, rejected), which its
// message names ("sms gateway <url>: HTTP 503 Service Unavailable"); 0 for any other error.
int http_status(const Error& error);

// Worth sending again later: the gateway was unreachable, slow, overloaded (5xx) or asked to
// slow down (429). A 4xx otherwise says the message is wrong and will fail again; so does an
// invalid_message or a bad_response, and an error of any other category.
bool retryable(const Error& error);

class SmsGatewayClient {
 public:
  // Throws std::invalid_argument naming the URL and what is wrong with it. Does not connect.
  explicit SmsGatewayClient(GatewayOptions options);
  ~SmsGatewayClient();
  SmsGatewayClient(const SmsGatewayClient&) = delete;
  SmsGatewayClient& operator=(const SmsGatewayClient&) = delete;

  // The receipt, or an Error with an SmsErrc (gale/sms/errc.h) whose message names the gateway
  // and the cause.
  Result<SendReceipt> send(const SmsMessage& message);

 private:
  struct Connection;
  std::unique_ptr<Connection> connection_;
};

}  // namespace gale::sms
