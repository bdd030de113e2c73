#pragma once
// Windowed bolts (Storm's BaseWindowedBolt; docs/STATE.md, "Windows"): tumbling and sliding
// windows, by count or by time, over event time with watermarks or over processing time. The
// window's contents are the bolt's checkpointed state, so a worker's loss loses no open
// window: after a recovery the tuples replayed from the checkpoint join the windows restored
// with it. With one input task in event time every window closes with exactly the tuples of a
// run without the loss; with several, or in processing time, the replay's interleaving (or its
// arrival times) may place a tuple otherwise, as a run with that interleaving would.
//
// Threading and ownership are a bolt's: everything runs on the executor thread.
// execute_window() is called when a window closes; its collector is valid during the call.
//
// Guarantees: an input tuple is acked when it has been added to the window state (the
// checkpoint covers it from then on). A window's emits are anchored to the tuple whose arrival
// closed it, so a failure downstream takes the topology back to a checkpoint from before that
// tuple, and the window closes again (at least once past the bolt, as every emit of a stateful
// topology). A window closed by a tick tuple (processing time with a quiet input) emits
// unanchored. Windows whose slide is longer than their length leave gaps: a tuple in a gap is
// in no window. Without checkpoints (topology.state.checkpoint.interval.ms = 0) the contents are
// in memory only and a crash loses the open windows.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gale/components.h"
#include "gale/state.h"

namespace gale {

// Values in state: a type byte, then the value (Codec<Value>::name() "value").
template <>
struct Codec<Value> {
  static std::string name() { return "value"; }
  static void encode(const Value& v, std::string& out);
  static Value decode(std::string_view& in);
};

// A window's length or slide: a number of tuples, or a duration.
struct WindowLength {
  enum class Unit { count, millis };
  Unit unit = Unit::count;
  std::int64_t value = 0;

  static WindowLength count(std::int64_t n) { return {Unit::count, n}; }
  static WindowLength millis(std::int64_t ms) { return {Unit::millis, ms}; }
  static WindowLength seconds(std::int64_t s) { return {Unit::millis, s * 1000}; }
};

struct WindowSpec {
  WindowLength length;
  WindowLength slide;  // the same as length: tumbling; in the same unit as length
  // Event time: the int64 field (Unix milliseconds) of every input tuple. Empty: processing
  // time (the moment a tuple reaches the bolt). Count windows go by arrival order.
  std::string timestamp_field;
  // The watermark is the least, over the input tasks that have sent tuples, of the latest event
  // time each sent, less this lag, less 1 ms: every tuple at or before it has been seen. A
  // window closes when the watermark reaches its last millisecond. An input task that stops
  // sending holds the watermark, and the windows, back.
  std::int64_t lag_ms = 0;
  // Event time: a tuple at or before the watermark came later than the lag allows (a window it
  // belongs to may have closed): it goes to this stream with its values (declare it with the
  // input's fields; prepare refuses an undeclared one); empty: it is dropped and counted
  // (late_tuples()).
  std::string late_stream;

  static WindowSpec tumbling(WindowLength length) { return {length, length, {}, 0, {}}; }
  static WindowSpec sliding(WindowLength length, WindowLength slide) {
    return {length, slide, {}, 0, {}};
  }
  WindowSpec& event_time(std::string field, std::int64_t lag = 0) {
    timestamp_field = std::move(field);
    lag_ms = lag;
    return *this;
  }
  WindowSpec& late_tuple_stream(std::string stream) {
    late_stream = std::move(stream);
    return *this;
  }
};

// One tuple held in a window: its event (or arrival) time and its values.
struct WindowTuple {
  std::int64_t ts = 0;
  Values values;
};

// A window as it closes.
struct TupleWindow {
  // Its tuples: time windows in (time, arrival) order, count windows in arrival order.
  std::vector<WindowTuple> tuples;
  // Time windows: [start_ms, end_ms); count windows: 0 and 0.
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

// What execute_window() emits with: anchored to the tuple that closed the window, if one did.
class WindowCollector {
 public:
  virtual ~WindowCollector() = default;
  virtual void emit(const Values& values) = 0;
  virtual void emit(std::string_view stream, const Values& values) = 0;
  virtual void report_error(std::string_view message) = 0;
};

class WindowedBolt : public StatefulBolt {
 public:
  ~WindowedBolt() override;

  // The windows: checked at prepare (a length or slide of 0 or less, or units that differ,
  // throw std::invalid_argument).
  virtual WindowSpec window_spec() const = 0;
  // After prepare, before any window: the bolt's own setup.
  virtual void prepare_window(const Config& /*conf*/, TopologyContext& /*context*/) {}
  virtual void execute_window(const TupleWindow& window, WindowCollector& out) = 0;

  // Late tuples dropped (no late stream) since the task last started or was restored.
  std::uint64_t late_tuples() const { return late_dropped_; }

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& out) final;
  void init_state(StateContext& state) final;
  void execute(const Tuple& input) final;

 private:
  struct Progress;
  class Collector;

  std::int64_t now_ms() const;
  void add(std::int64_t ts, const Values& values);
  void close_count_window(const Tuple* trigger);
  void close_time_windows(std::int64_t watermark, const Tuple* trigger);
  std::int64_t watermark(std::int64_t now) const;
  // The earliest window start (a multiple of the slide) whose window holds `ts`.
  std::int64_t first_start_holding(std::int64_t ts) const;

  WindowSpec spec_;
  OutputCollector* out_ = nullptr;
  bool event_time_ = false;
  bool reported_bad_time_ = false;
  KeyValueState<std::int64_t, std::pair<std::int64_t, Values>>* entries_ = nullptr;  // by seq
  KeyValueState<int, std::int64_t>* latest_ = nullptr;  // event time: latest ts by input task
  // [next seq, tuples since the last count window, next time window's start, started]
  ValueState<std::vector<std::int64_t>>* progress_ = nullptr;
  std::uint64_t late_dropped_ = 0;
};

}  // namespace gale
