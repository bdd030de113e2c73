#pragma once
// KafkaSpout: reads topics as a member of a consumer group and emits one tracked tuple per
// message; commits only offsets whose messages (and every one before them) were acked.
//
//   auto config = gale::kafka::KafkaSpoutConfig::from(conf);   // kafka.bootstrap.servers, ...
//   builder.set_spout("transactions", [config] {
//     return std::make_unique<gale::kafka::KafkaSpout>(
//         config, gale::kafka::RecordTranslator::value_only());
//   }, 2);
//
// At-least-once: a message's offset is committed only when it and every earlier emitted
// message of its partition were acked (OffsetTracker). A failed message is replayed from the
// copy the spout keeps, after an exponential backoff. See README.md for the whole argument.
//
// In a topology with checkpoints (gale/state.h) it is a StatefulSpout: its position is the
// next offset of every partition it reads, past every message emitted; after a recovery each
// partition it is assigned starts at the position the checkpoint holds for it (whichever task
// read it then), and offsets are committed only when a checkpoint holding them completed.
//
// Threading: like every spout, all methods run on the executor's thread; librdkafka's
// rebalance and commit callbacks run inside next_tuple()/ack()/close() on that thread too.
// stats() may be read from any thread.
#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "gale/components.h"
#include "gale/kafka/config.h"
#include "gale/state.h"

namespace gale::kafka {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// One consumed message as a translator sees it. The views are valid only during the call.
struct KafkaRecord {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string_view> key;    // nothing: the message has no key
  std::optional<std::string_view> value;  // nothing: a null value (a tombstone)
  std::int64_t timestamp_ms = -1;         // -1: the broker gave none
};

// Turns a message into the tuple the spout emits, with the fields it declares. `translate`
// runs on the spout's thread and must not block; if it throws, the message is skipped:
// counted as dropped and reported as an error naming topic, partition and offset.
struct RecordTranslator {
  Fields fields;
  std::function<Values(const KafkaRecord&)> translate;

  // ("topic", "partition", "offset", "key", "value"): key and value as strings (the bytes as
  // they are), null when absent.
  static RecordTranslator standard();
  // ("key", "value"): what the finance topologies read (the key is the account).
  static RecordTranslator key_and_value();
  // ("value") alone.
  static RecordTranslator value_only();
};

// What a spout did. Written by the spout's thread, readable from any thread. Several spout
// instances may share one (counts add up).
class KafkaSpoutStats {
 public:
  std::atomic<std::int64_t> emitted{0};  // new messages emitted (replays not included)
  std::atomic<std::int64_t> acked{0};
  std::atomic<std::int64_t> failed{0};    // fail() calls for messages in flight
  std::atomic<std::int64_t> replayed{0};  // re-emits of failed messages
  std::atomic<std::int64_t> dropped{0};   // given up: retries exhausted or translator threw
  std::atomic<std::int64_t> stale{0};     // acks/fails for revoked or unknown messages, ignored
  std::atomic<std::int64_t> pauses{0};    // times a partition was paused at the cap
  // The most uncommitted messages any one partition held at once.
  std::atomic<std::int64_t> max_uncommitted{0};

  // Offsets the group coordinator confirmed, per partition (the highest one).
  std::map<TopicPartition, std::int64_t> committed() const;
  // Partitions currently assigned to the spout(s) writing here.
  std::set<TopicPartition> assigned() const;

  void record_commit(const TopicPartition& tp, std::int64_t offset);
  void record_assigned(const TopicPartition& tp, bool assigned);
  void record_uncommitted(std::int64_t n);

 private:
  mutable std::mutex mu_;
  std::map<TopicPartition, std::int64_t> committed_;
  std::set<TopicPartition> assigned_;
};

class KafkaSpout : public StatefulSpout {
 public:
  // Validates `config` (throws KafkaConfigError naming the key). Connects in open(), not here.
  explicit KafkaSpout(KafkaSpoutConfig config,
                      RecordTranslator translator = RecordTranslator::standard(),
                      std::shared_ptr<KafkaSpoutStats> stats = nullptr);
  ~KafkaSpout() override;

  // Creates the consumer and subscribes; the first assignment arrives in a later next_tuple().
  void open(const Config& conf, TopologyContext& context, SpoutCollector& collector) override;
  // Never blocks, except for a synchronous commit when the group takes partitions away.
  void next_tuple() override;
  void ack(MessageId id) override;
  void fail(MessageId id) override;
  // Commits what is committable (synchronously) and leaves the group.
  void close() override;
  void declare_outputs(OutputDeclarer& declarer) const override;
  // Checkpoints: one line per partition read, "topic<TAB>partition<TAB>next offset".
  std::string snapshot_position() override;
  void restore_position(const std::vector<std::string>& positions, std::size_t own) override;
  // Commits the positions of the last snapshot (the checkpoint that completed).
  void checkpoint_complete(CheckpointId id) override;

  const std::shared_ptr<KafkaSpoutStats>& stats() const { return stats_; }

 private:
  class Impl;
  KafkaSpoutConfig config_;
  RecordTranslator translator_;
  std::shared_ptr<KafkaSpoutStats> stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gale::kafka
