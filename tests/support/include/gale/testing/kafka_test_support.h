#pragma once
// Helpers for the Kafka connector's tests: a real librdkafka producer and consumer against a
// MockCluster, the group's committed offsets as a separate client sees them, and components
// that report what they saw to a Probe the test reads.
#include <gale/gale.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gale/kafka/config.h"
#include "gale/kafka/mock_cluster.h"

namespace gale::kafka::testing {

using namespace std::chrono_literals;

// Polls `pred` every millisecond until it holds or `limit` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 15s);

// Acking on, short park times: what the worker's own tests use.
Config topology_config();

// A spout config for `group` on `topics`, with group timeouts short enough for the mock
// cluster to rebalance in about a second.
KafkaSpoutConfig spout_config(const MockCluster& cluster, std::vector<std::string> topics,
                              const std::string& group);

struct Message {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Produces "<topic>-p<partition>-<i>" for i in [from, to) to each of `partitions` partitions
// and waits for every delivery; throws on a delivery error.
void produce(const std::string& bootstrap, const std::string& topic, int partitions, int from,
             int to);
// Produces one message and waits for its delivery.
void produce_one(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                 const std::string& value);
// Reads `topic`'s partitions from the beginning (no group) until `count` messages arrived or
// `limit` passed.
std::vector<Message> consume(const std::string& bootstrap, const std::string& topic, int partitions,
                             std::size_t count, std::chrono::milliseconds limit = 10s);
// The group's committed offset per partition (-1: none), asked by a client outside the group.
std::map<std::int32_t, std::int64_t> committed_offsets(const std::string& bootstrap,
                                                       const std::string& group,
                                                       const std::string& topic, int partitions);
// Commits `offset` for every partition of `topic` on behalf of `group` (a client that never
// joins it).
void commit_offsets(const std::string& bootstrap, const std::string& group,
                    const std::string& topic, int partitions, std::int64_t offset);

// What the components of one topology saw. Thread-safe.
struct Probe {
  std::mutex mu;
  std::map<std::pair<std::int32_t, std::int64_t>, int> seen;  // (partition, offset) -> times
  std::vector<std::string> values;                            // values seen, in order
  std::set<MessageId> acked;
  std::set<MessageId> failed;
  std::size_t held = 0;
  bool release = false;

  template <typename F>
  auto with(F&& f) {
    std::lock_guard lock(mu);
    return f();
  }
  std::size_t distinct_seen() {
    return with([&] { return seen.size(); });
  }
  bool saw(std::int32_t partition, std::int64_t offset) {
    return with([&] { return seen.contains({partition, offset}); });
  }
  // Lowest offset seen on `partition`, -1 if none.
  std::int64_t first_offset(std::int32_t partition);
};

// Receives a spout tuple with at least "partition", "offset" and "value", records it, and then
// fails it (the first `fail_times` times it sees that offset), holds it or acks it. Held
// tuples are acked once the probe says release (checked on every input and tick).
class ProbeBolt : public Bolt {
 public:
  using Hold = std::function<bool(std::int32_t partition, std::int64_t offset)>;
  struct Behaviour {
    int fail_times = 0;
    Hold hold;
  };
  static Behaviour failing(int times) { return {times, {}}; }
  static Behaviour holding(Hold hold) { return {0, std::move(hold)}; }
  ProbeBolt(std::shared_ptr<Probe> probe, Behaviour behaviour)
      : probe_(std::move(probe)), behaviour_(std::move(behaviour)) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }
  void execute(const Tuple& t) override;

 private:
  std::shared_ptr<Probe> probe_;
  Behaviour behaviour_;
  OutputCollector* out_ = nullptr;
  std::vector<Tuple> held_;
};

// Emits ("key", "value") = ("k<i>", "v<i>") for i in [0, count) with message id i, and records
// acks and fails in the probe. Replays failed ids if asked.
class ListSpout : public Spout {
 public:
  ListSpout(std::shared_ptr<Probe> probe, int count, bool replay)
      : probe_(std::move(probe)), count_(count), replay_(replay) {}
  void open(const Config&, TopologyContext&, SpoutCollector& out) override { out_ = &out; }
  void next_tuple() override;
  void ack(MessageId id) override {
    probe_->with([&] { return probe_->acked.insert(id); });
  }
  void fail(MessageId id) override;
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"key", "value"}); }

 private:
  void emit(MessageId id);

  std::shared_ptr<Probe> probe_;
  int count_;
  bool replay_;
  int next_ = 0;
  std::vector<MessageId> replays_;
  SpoutCollector* out_ = nullptr;
};

}  // namespace gale::kafka::testing
