// gale-kafka-dev: a development Kafka broker on loopback (librdkafka's in-memory mock cluster)
// for machines without Kafka. Prints "bootstrap.servers=..." as its first line, then serves
// until SIGTERM or SIGINT. Keeps everything in memory; not for production. See README.md.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gale/common/command_line.h"
#include "gale/common/version.h"
#include "gale/kafka/mock_cluster.h"

namespace {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

// "name:partitions", or "name" for one partition.
TopicSpec parse_topic(const std::string& arg) {
  std::size_t colon = arg.rfind(':');
  TopicSpec spec{arg.substr(0, colon), 1};
  if (colon != std::string::npos) {
    std::string count = arg.substr(colon + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), spec.partitions);
    if (ec != std::errc() || end != count.data() + count.size() || spec.partitions < 1) {
      throw std::invalid_argument("--topic '" + arg +
                                  "': expected name:partitions with partitions >= 1");
    }
  }
  if (spec.name.empty()) throw std::invalid_argument("--topic '" + arg + "': the name is empty");
  return spec;
}

// Written whole under a temporary name, then renamed: a reader never sees half an address.
void write_bootstrap_file(const std::string& path, const std::string& servers) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << servers << '\n';
    if (!out.flush()) throw std::runtime_error("--bootstrap-file: cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gale-kafka-dev: an in-memory Kafka-protocol broker on 127.0.0.1 for development "
      "and tests (librdkafka's mock cluster). Not for production."};
  app.set_version_flag("--version", gale::version_text("gale-kafka-dev"));
  int brokers = 1;
  std::vector<std::string> topic_args;
  std::string bootstrap_file;
  app.add_option("--brokers", brokers, "Number of brokers")->check(CLI::Range(1, 32));
  app.add_option("--topic", topic_args, "A topic to create, name:partitions (repeatable)");
  app.add_option("--bootstrap-file", bootstrap_file,
                 "Also write the bootstrap.servers value to this file");
  if (auto exit = gale::parse_command_line(app, argc, argv)) return *exit;

  try {
    std::vector<TopicSpec> topics;
    for (const std::string& arg : topic_args) topics.push_back(parse_topic(arg));

    // Blocked before librdkafka starts its threads, so only sigwait below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    gale::kafka::MockCluster cluster(brokers);
    for (const TopicSpec& t : topics) cluster.create_topic(t.name, t.partitions);
    if (!bootstrap_file.empty()) write_bootstrap_file(bootstrap_file, cluster.bootstrap_servers());
    std::cout << "bootstrap.servers=" << cluster.bootstrap_servers() << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "gale-kafka-dev: stopping on signal " << sig << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gale-kafka-dev: " << e.what() << std::endl;
    return 1;
  }
}
