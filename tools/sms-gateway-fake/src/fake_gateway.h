#pragma once
// A fake SMS gateway for tests and demos: the HTTP API that gale::sms::SmsGatewayClient
// speaks, on 127.0.0.1 only, recording every message it accepts (duplicates too) and
// failing or delaying answers on request.
//
// Threading: one thread runs everything (run()); the state needs no lock.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace gale::tools {

struct FakeGatewayOptions {
  int port = 0;                 // 0: the system picks one (see port())
  std::string record_path;      // when set, each accepted message is appended as a JSON line
  std::int64_t fail_first = 0;  // POST /sms answered 503 for the first N requests
  double fail_rate = 0;         // then each with this probability (0..1) ...
  std::uint64_t seed = 1;       // ... drawn from a generator seeded with this
  std::int64_t delay_ms = 0;    // every POST /sms answered after this delay
};

// One accepted or refused POST /sms, and what the gateway will answer.
struct SmsAnswer {
  int status = 200;
  nlohmann::json body;
};

class FakeGateway {
 public:
  // Binds 127.0.0.1:port and opens the record file. Throws std::runtime_error naming what
  // failed (port in use, record file not writable).
  explicit FakeGateway(FakeGatewayOptions options);

  int port() const { return port_; }
  // Serves until SIGTERM or SIGINT.
  void run();

  // The answer to POST /sms with `body` and `idempotency_key` (empty when the header is
  // absent); records the message when accepted.
  SmsAnswer accept_sms(const std::string& body, const std::string& idempotency_key);
  nlohmann::json messages() const { return messages_; }
  nlohmann::json stats() const;
  std::int64_t delay_ms() const { return options_.delay_ms; }

 private:
  bool inject_failure();
  void accept();

  FakeGatewayOptions options_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  int port_ = 0;
  std::ofstream record_;
  std::mt19937_64 random_;
  nlohmann::json messages_ = nlohmann::json::array();
  std::set<std::string> references_;
  std::int64_t sms_requests_ = 0;
  std::int64_t failed_ = 0;
  std::int64_t rejected_ = 0;
  std::int64_t connections_ = 0;
};

}  // namespace gale::tools
