#pragma once
// gale-kafka-dev (librdkafka's mock cluster in its own process) for whole-program tests: started
// with the given topics, ready when the constructor returns (its bootstrap address written).
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gale/testing/child_process.h"

namespace gale::testing {

class KafkaDevBroker {
 public:
  // `topics`: "name:partitions" each. Logs and the address file go to `dir`.
  KafkaDevBroker(const std::string& bin_dir, const std::filesystem::path& dir,
                 const std::vector<std::string>& topics) {
    const auto file = dir / "kafka-bootstrap";
    std::filesystem::remove(file);
    std::vector<std::string> argv{bin_dir + "/gale-kafka-dev", "--bootstrap-file", file.string()};
    for (const auto& t : topics) argv.insert(argv.end(), {"--topic", t});
    process_ = std::make_unique<ChildProcess>(argv, (dir / "kafka-dev.log").string());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(file) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(file);
    std::getline(in, bootstrap_);
    while (!bootstrap_.empty() && std::isspace(static_cast<unsigned char>(bootstrap_.back())))
      bootstrap_.pop_back();
    if (bootstrap_.empty())
      throw std::runtime_error("gale-kafka-dev did not start; see " + process_->log_path());
  }

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string bootstrap_;
};

}  // namespace gale::testing
