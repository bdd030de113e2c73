#pragma once
// Spouts and bolts: what topology authors implement.
//
// Threading: every method of one spout or bolt instance is called from the same executor
// thread, never concurrently. An instance runs exactly one task. The runtime creates each
// instance from the factory given to TopologyBuilder and owns it.
#include <string>
#include <vector>

#include "gale/collectors.h"
#include "gale/config.h"
#include "gale/context.h"
#include "gale/tuple.h"
#include "gale/value.h"

namespace gale {

struct StreamDeclaration {
  std::string id;
  Fields fields;
  bool direct = false;
};

// Filled by declare_outputs: the streams a component emits and their fields.
class OutputDeclarer {
 public:
  void declare(Fields fields) { declare_stream(kDefaultStream, false, std::move(fields)); }
  void declare(bool direct, Fields fields) {
    declare_stream(kDefaultStream, direct, std::move(fields));
  }
  void declare_stream(std::string stream, Fields fields) {
    declare_stream(std::move(stream), false, std::move(fields));
  }
  void declare_stream(std::string stream, bool direct, Fields fields) {
    streams_.push_back({std::move(stream), std::move(fields), direct});
  }
  const std::vector<StreamDeclaration>& streams() const { return streams_; }

 private:
  std::vector<StreamDeclaration> streams_;
};

class Spout {
 public:
  virtual ~Spout() = default;
  // Called once before anything else. The config is the topology's merged with this
  // component's; the context and collector stay valid until close() returns. May block
  // (connect, load files) but delays the topology's start.
  virtual void open(const Config& conf, TopologyContext& context, SpoutCollector& collector) = 0;
  // Emit zero or more tuples. Must not block: the executor calls it in a loop, interleaved with
  // ack() and fail(), and waits briefly by itself when a call emits nothing.
  virtual void next_tuple() = 0;
  // The tuple tree rooted at a tuple emitted with `id` completed.
  virtual void ack(MessageId /*id*/) {}
  // The tree failed or timed out (topology.message.timeout.secs). Replaying is the spout's job.
  virtual void fail(MessageId /*id*/) {}
  // The topology was activated / deactivated; next_tuple is not called while deactivated, but
  // ack() and fail() still are.
  virtual void activate() {}
  virtual void deactivate() {}
  // Called once at shutdown, on the executor thread. Not guaranteed after a crash or kill -9.
  virtual void close() {}
  virtual void declare_outputs(OutputDeclarer& declarer) const = 0;
};

class Bolt {
 public:
  virtual ~Bolt() = default;
  // Called once before execute. Context and collector stay valid until cleanup() returns.
  virtual void prepare(const Config& conf, TopologyContext& context,
                       OutputCollector& collector) = 0;
  // Process one input. Ack or fail it through the collector, now or later. May block briefly
  // (a Redis call); a long block holds up every task of this executor.
  virtual void execute(const Tuple& input) = 0;
  virtual void cleanup() {}
  virtual void declare_outputs(OutputDeclarer& /*declarer*/) const {}
};

// A bolt whose emits are anchored to the input and whose input is acked after execute
// returns. Throw FailedException to fail the input instead.
class BasicBolt {
 public:
  virtual ~BasicBolt() = default;
  virtual void prepare(const Config& /*conf*/, TopologyContext& /*context*/) {}
  virtual void execute(const Tuple& input, BasicCollector& collector) = 0;
  virtual void cleanup() {}
  virtual void declare_outputs(OutputDeclarer& /*declarer*/) const {}
};

}  // namespace gale
