#pragma once
// Collectors: how spouts and bolts emit, ack and fail. Implemented by the runtime.
//
// Threading: a collector belongs to one task and may be used only from the thread that calls
// that task's methods (open/next_tuple/ack/fail, prepare/execute), or from a thread the
// component starts itself only if that thread does not run at the same time as those
// methods. None of these calls blocks for long: emits go into a batch; when downstream queues
// are full the runtime applies backpressure between calls, not inside them (bolts' emits may
// wait for room).
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "gale/tuple.h"
#include "gale/value.h"

namespace gale {

// The identity a spout gives a tuple it wants tracked; handed back to ack() or fail().
using MessageId = std::uint64_t;

class SpoutCollector {
 public:
  virtual ~SpoutCollector() = default;

  // Untracked: no ack or fail will follow.
  void emit(const Values& values) { do_emit(kDefaultStream, values, nullptr, -1); }
  // Tracked: the spout's ack(id) runs when the whole tuple tree completes, fail(id) when any
  // part fails or times out.
  void emit(const Values& values, MessageId id) { do_emit(kDefaultStream, values, &id, -1); }
  void emit(std::string_view stream, const Values& values) { do_emit(stream, values, nullptr, -1); }
  void emit(std::string_view stream, const Values& values, MessageId id) {
    do_emit(stream, values, &id, -1);
  }
  // To one task of a component subscribed with direct grouping on a direct stream.
  void emit_direct(int task, std::string_view stream, const Values& values) {
    do_emit(stream, values, nullptr, task);
  }
  void emit_direct(int task, std::string_view stream, const Values& values, MessageId id) {
    do_emit(stream, values, &id, task);
  }

  // Records an error for this component (shown by the CLI and the statistics).
  virtual void report_error(std::string_view message) = 0;
  // Tracked tuples of this task not yet acked or failed.
  virtual std::int64_t pending_count() const = 0;

  // Input availability (Flink's sources have the same). By default the executor polls a spout
  // whose next_tuple emits nothing: at once, then less often, up to every
  // topology.spout.wait.park.max.microsec. A spout whose source announces new input on a
  // thread of its own (a client library's callback) can do better: set_polled(false) from
  // open(), then call input_available() whenever input arrives; while next_tuple finds
  // nothing the executor then sleeps until signalled, costing no CPU, and wakes within
  // microseconds. Acks, activation and timers wake it as before. A spout whose input has ended
  // for good may set_polled(false) and never signal.
  virtual void set_polled(bool polled) = 0;
  // Any thread, at any time (also before activation; a signal is never lost).
  virtual void input_available() = 0;

 protected:
  // direct_task < 0: route by groupings. Throws std::invalid_argument for an undeclared stream
  // or a direct/indirect mismatch.
  virtual void do_emit(std::string_view stream, const Values& values, const MessageId* id,
                       int direct_task) = 0;
};

// For Bolt: explicit anchoring and acking. Every input tuple must be acked or failed exactly
// once, or its tree times out.
class OutputCollector {
 public:
  virtual ~OutputCollector() = default;

  void emit(const Values& values) { do_emit(kDefaultStream, {}, values, -1); }
  void emit(const Tuple& anchor, const Values& values) {
    const Tuple* a[] = {&anchor};
    do_emit(kDefaultStream, a, values, -1);
  }
  void emit(std::initializer_list<const Tuple*> anchors, const Values& values) {
    do_emit(kDefaultStream, std::span(anchors.begin(), anchors.size()), values, -1);
  }
  void emit(std::span<const Tuple* const> anchors, const Values& values) {
    do_emit(kDefaultStream, anchors, values, -1);
  }
  void emit(std::string_view stream, const Values& values) { do_emit(stream, {}, values, -1); }
  void emit(std::string_view stream, const Tuple& anchor, const Values& values) {
    const Tuple* a[] = {&anchor};
    do_emit(stream, a, values, -1);
  }
  void emit(std::string_view stream, std::span<const Tuple* const> anchors, const Values& values) {
    do_emit(stream, anchors, values, -1);
  }
  void emit_direct(int task, std::string_view stream, const Tuple& anchor, const Values& values) {
    const Tuple* a[] = {&anchor};
    do_emit(stream, a, values, task);
  }
  void emit_direct(int task, std::string_view stream, std::span<const Tuple* const> anchors,
                   const Values& values) {
    do_emit(stream, anchors, values, task);
  }

  virtual void ack(const Tuple& input) = 0;
  virtual void fail(const Tuple& input) = 0;
  virtual void report_error(std::string_view message) = 0;

 protected:
  virtual void do_emit(std::string_view stream, std::span<const Tuple* const> anchors,
                       const Values& values, int direct_task) = 0;
};

// For BasicBolt: every emit is anchored to the input being executed, which is acked when
// execute returns (or failed if it throws).
class BasicCollector {
 public:
  virtual ~BasicCollector() = default;
  virtual void emit(const Values& values) = 0;
  virtual void emit(std::string_view stream, const Values& values) = 0;
  virtual void emit_direct(int task, std::string_view stream, const Values& values) = 0;
  virtual void report_error(std::string_view message) = 0;
};

}  // namespace gale
