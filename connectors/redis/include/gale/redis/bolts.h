#pragma once
// Bolts that read from and write to Redis, in the style of storm-redis: a mapper turns each
// input into commands, and the bolt sends the commands of many inputs as one pipeline.
//
// Batching: inputs are buffered until redis.batch.size of them wait, an input arrives when the
// oldest has waited redis.flush.interval.ms, or a tick tuple comes; then the batch goes as one
// pipeline and each input is acked (or failed) on its own. A partial batch can only leave on a
// later input or tick, so a bolt with redis.batch.size > 1 needs
// topology.tick.tuple.freq.ms (or .secs) on its component; prepare() refuses it otherwise.
//
// Outage: when the pipeline fails (connection refused or lost, timeout) every buffered input
// is failed, so the spout replays it; nothing is dropped. The client reconnects on a later
// batch (with a short backoff) and the bolt goes on. The first failure of an outage is
// reported with report_error. A Redis error reply to an input's command (WRONGTYPE ...) fails
// that input alone and is reported; it will fail again on replay until the data or mapper is
// fixed. Inputs still buffered at cleanup() are neither acked nor failed: their trees time
// out and the spout replays them.
//
// Threading: as any Bolt, one thread per instance; each instance has its own connection.
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gale/components.h"
#include "gale/redis/client.h"

namespace gale::redis {

// The common part of the Redis bolts: buffering, pipelining, and acking or failing per input.
// Derive from it for other Redis bolts.
class PipelinedRedisBolt : public Bolt {
 public:
  // Reads ConnectionOptions and BatchOptions from the config (std::invalid_argument naming a
  // bad key). Does not connect: the first batch does, so a bolt starts while Redis is down.
  void prepare(const Config& config, TopologyContext& context, OutputCollector& collector) override;
  void execute(const Tuple& input) override;

 protected:
  // `name` prefixes this bolt's errors ("RedisStoreBolt").
  explicit PipelinedRedisBolt(std::string name) : name_(std::move(name)) {}

  // The commands for one input, called from execute() when it arrives. None: the input is
  // acked at once. An empty argv or an exception fails this input alone.
  virtual std::vector<Command> commands_for(const Tuple& input) = 0;
  // The input's commands ran and none got an error reply; `replies` are theirs, in order.
  // Emit anchored to `input` here; the input is acked after this returns, failed if it throws.
  virtual void on_replies(const Tuple& input, std::span<const Reply> replies,
                          OutputCollector& collector) = 0;

 private:
  struct Buffered {
    Tuple input;  // the copy that is acked: it carries the anchoring done in on_replies
    std::size_t first_command = 0;
    std::size_t command_count = 0;
  };

  bool flush_due() const;
  void flush();
  // Acks or fails one input of a batch that got its replies.
  void complete(Buffered& buffered, std::span<const Command> commands,
                std::span<const Reply> replies);

  std::string name_;
  OutputCollector* collector_ = nullptr;
  std::optional<RedisClient> client_;
  BatchOptions batch_;
  std::vector<Buffered> buffered_;
  std::vector<Command> commands_;  // of the buffered inputs, in order
  std::chrono::steady_clock::time_point oldest_{};
  bool outage_reported_ = false;
};

// Maps an input to the commands that store it: {"SET", k, v}, {"HSET", k, f, v, ...},
// {"XADD", stream, "*", f, v}, {"LPUSH", k, v}, {"SADD", k, m}, {"EXPIRE", k, s}, ... Called on
// the bolt's thread; may throw to fail the input.
using StoreMapper = std::function<std::vector<Command>(const Tuple& input)>;

// Writes each input to Redis and acks it once every command of its batch succeeded. Emits
// nothing.
class RedisStoreBolt : public PipelinedRedisBolt {
 public:
  explicit RedisStoreBolt(StoreMapper mapper)
      : PipelinedRedisBolt("RedisStoreBolt"), mapper_(std::move(mapper)) {}

 protected:
  std::vector<Command> commands_for(const Tuple& input) override { return mapper_(input); }
  void on_replies(const Tuple&, std::span<const Reply>, OutputCollector&) override {}

 private:
  StoreMapper mapper_;
};

// The one lookup command for an input: {"HGETALL", key}, {"GET", key}, {"SISMEMBER", k, m}...
using LookupMapper = std::function<Command(const Tuple& input)>;
// From an input and its lookup reply to the tuples to emit (each anchored to the input); none
// to emit nothing (the input is still acked). Throw to fail the input.
using LookupResultMapper =
    std::function<std::vector<Values>(const Tuple& input, const Reply& reply)>;

// Enriches each input with what Redis holds for it and emits the result on the default
// stream with `output_fields`.
class RedisLookupBolt : public PipelinedRedisBolt {
 public:
  RedisLookupBolt(LookupMapper lookup, LookupResultMapper result, Fields output_fields)
      : PipelinedRedisBolt("RedisLookupBolt"),
        lookup_(std::move(lookup)),
        result_(std::move(result)),
        output_fields_(std::move(output_fields)) {}

  void declare_outputs(OutputDeclarer& declarer) const override {
    declarer.declare(output_fields_);
  }

 protected:
  std::vector<Command> commands_for(const Tuple& input) override { return {lookup_(input)}; }
  void on_replies(const Tuple& input, std::span<const Reply> replies,
                  OutputCollector& collector) override;

 private:
  LookupMapper lookup_;
  LookupResultMapper result_;
  Fields output_fields_;
};

}  // namespace gale::redis
