#pragma once
// Sends each raised and cleared anomaly to a webhook: POST of JSON {"event": "raised" |
// "cleared", "anomaly": {...}} (docs/METRICS.md, "Anomalies"), from its own thread, so that a
// slow receiver never holds the sampling. http:// or https:// (verified against `ca_file`); a
// bearer token if one is given. A failed POST is tried twice more (1 s, then 2 s later), then
// dropped and logged; at most 1000 wait, past that the oldest go (and are counted).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "gale/anomalies/detector.h"
#include "gale/nimbus/client.h"
#include "gale/result.h"

namespace gale::anomalies {

nlohmann::json to_json(const Anomaly& a);

class Webhook {
 public:
  // The error names what is wrong with the URL (scheme, host, port) or the CA file.
  static Result<std::unique_ptr<Webhook>> start(const std::string& url,
                                                const std::filesystem::path& ca_file,
                                                const std::string& token);
  ~Webhook();

  void send(const std::string& event, const Anomaly& a);
  std::uint64_t delivered() const;
  std::uint64_t dropped() const;

 private:
  Webhook(nimbus::NimbusEndpoint endpoint, std::string path);
  void run();

  nimbus::NimbusEndpoint endpoint_;
  std::string path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::uint64_t delivered_ = 0, dropped_ = 0;
  std::thread thread_;
};

}  // namespace gale::anomalies
