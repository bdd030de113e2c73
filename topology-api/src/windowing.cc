#include "gale/windowing.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include "gale/collectors.h"
#include "gale/context.h"
#include "gale/tuple.h"

namespace gale {

void Codec<Value>::encode(const Value& v, std::string& out) {
  out.push_back(static_cast<char>(v.type()));
  switch (v.type()) {
    case Value::Type::null:
      break;
    case Value::Type::boolean:
      Codec<bool>::encode(v.as_bool(), out);
      break;
    case Value::Type::int64:
      Codec<std::int64_t>::encode(v.as_int(), out);
      break;
    case Value::Type::float64:
      Codec<double>::encode(v.as_double(), out);
      break;
    case Value::Type::string:
      Codec<std::string>::encode(v.as_string(), out);
      break;
    case Value::Type::bytes: {
      const Bytes& b = v.as_bytes();
      Codec<std::uint32_t>::encode(detail::count_of(b.size()), out);
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      break;
    }
  }
}

Value Codec<Value>::decode(std::string_view& in) {
  if (in.empty()) detail::throw_truncated("value");
  const auto type = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  switch (static_cast<Value::Type>(type)) {
    case Value::Type::null:
      return Value();
    case Value::Type::boolean:
      return Value(Codec<bool>::decode(in));
    case Value::Type::int64:
      return Value(Codec<std::int64_t>::decode(in));
    case Value::Type::float64:
      return Value(Codec<double>::decode(in));
    case Value::Type::string:
      return Value(Codec<std::string>::decode(in));
    case Value::Type::bytes: {
      const auto n = Codec<std::uint32_t>::decode(in);
      if (in.size() < n) detail::throw_truncated("bytes");
      Bytes b(in.begin(), in.begin() + n);
      in.remove_prefix(n);
      return Value(std::move(b));
    }
  }
  throw std::runtime_error("state entry: a value of unknown type " + std::to_string(type));
}

namespace {

enum Slot { kNextSeq = 0, kSinceWindow = 1, kNextStart = 2, kStarted = 3, kSlots = 4 };

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

class WindowedBolt::Collector final : public WindowCollector {
 public:
  Collector(OutputCollector& out, const Tuple* anchor) : out_(out), anchor_(anchor) {}
  void emit(const Values& values) override { emit(kDefaultStream, values); }
  void emit(std::string_view stream, const Values& values) override {
    if (anchor_)
      out_.emit(stream, *anchor_, values);
    else
      out_.emit(stream, values);
  }
  void report_error(std::string_view message) override { out_.report_error(message); }

 private:
  OutputCollector& out_;
  const Tuple* anchor_;
};

WindowedBolt::~WindowedBolt() = default;

void WindowedBolt::prepare(const Config& conf, TopologyContext& context, OutputCollector& out) {
  out_ = &out;
  spec_ = window_spec();
  if (spec_.length.value <= 0 || spec_.slide.value <= 0)
    throw std::invalid_argument("window of '" + context.this_component() +
                                "': its length and slide must be positive");
  if (spec_.length.unit != spec_.slide.unit)
    throw std::invalid_argument("window of '" + context.this_component() +
                                "': its length and slide must both be counts or both durations");
  event_time_ = !spec_.timestamp_field.empty();
  if (event_time_ && spec_.length.unit == WindowLength::Unit::count)
    throw std::invalid_argument("window of '" + context.this_component() +
                                "': count windows go by arrival order; event time (" +
                                spec_.timestamp_field + ") needs windows by duration");
  if (spec_.lag_ms < 0)
    throw std::invalid_argument("window of '" + context.this_component() +
                                "': the watermark lag must not be negative");
  // (An emit on an undeclared stream would throw on every late tuple, failing it, and a
  // stateful topology would go back to its checkpoint again and again.)
  if (!spec_.late_stream.empty() &&
      context.output_fields(context.this_component(), spec_.late_stream).empty())
    throw std::invalid_argument("window of '" + context.this_component() + "': late stream '" +
                                spec_.late_stream +
                                "' is not declared (declare it with the input's fields)");
  prepare_window(conf, context);
}

void WindowedBolt::init_state(StateContext& state) {
  entries_ = &state.key_value<std::int64_t, std::pair<std::int64_t, Values>>("window.tuples");
  latest_ = &state.key_value<int, std::int64_t>("window.latest");
  progress_ = &state.value<std::vector<std::int64_t>>("window.progress");
  if (progress_->get().size() != kSlots) progress_->set(std::vector<std::int64_t>(kSlots, 0));
}

std::int64_t WindowedBolt::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Every tuple at or before the watermark has been seen (Flink's bounded out-of-orderness): the
// latest time less the lag, less one, so that tuples at the latest time itself are on time.
std::int64_t WindowedBolt::watermark(std::int64_t now) const {
  if (!event_time_) return now - spec_.lag_ms - 1;
  std::int64_t least = std::numeric_limits<std::int64_t>::max();
  latest_->for_each([&](const int&, const std::int64_t& ts) { least = std::min(least, ts); });
  return least == std::numeric_limits<std::int64_t>::max()
             ? std::numeric_limits<std::int64_t>::min()
             : least - spec_.lag_ms - 1;
}

std::int64_t WindowedBolt::first_start_holding(std::int64_t ts) const {
  // The least multiple s of the slide with s + length > ts.
  return (floor_div(ts - spec_.length.value, spec_.slide.value) + 1) * spec_.slide.value;
}

void WindowedBolt::add(std::int64_t ts, const Values& values) {
  auto& p = progress_->mutate();
  const std::int64_t seq = p[kNextSeq]++;
  entries_->put(seq, {ts, values});
  // A count window needs the last `length` tuples only.
  if (spec_.length.unit == WindowLength::Unit::count && seq >= spec_.length.value)
    entries_->remove(seq - spec_.length.value);
}

void WindowedBolt::execute(const Tuple& input) {
  const std::int64_t now = now_ms();
  if (input.is_tick()) {  // a quiet input: time windows close on the clock too
    if (spec_.length.unit == WindowLength::Unit::millis)
      close_time_windows(watermark(now), nullptr);
    return;
  }
  if (spec_.length.unit == WindowLength::Unit::count) {
    add(now, input.values());
    auto& p = progress_->mutate();
    if (++p[kSinceWindow] >= spec_.slide.value) {
      p[kSinceWindow] = 0;
      close_count_window(&input);
    }
    out_->ack(input);
    return;
  }
  std::int64_t ts = now;
  bool late = false;
  if (event_time_) {
    const Value* field = nullptr;
    try {
      field = &input.get(spec_.timestamp_field);
    } catch (const std::out_of_range&) {
    }
    if (!field || !field->is_int()) {
      if (!reported_bad_time_)
        out_->report_error("window: a tuple from '" + input.source_component() + ":" +
                           input.source_stream() + "' has no int64 '" + spec_.timestamp_field +
                           "' (event time): handled as late (reported once)");
      reported_bad_time_ = true;
      late = true;
    } else {
      ts = field->as_int();
      late = progress_->get()[kStarted] && ts <= watermark(now);
    }
  }
  auto& p = progress_->mutate();
  if (!late && !p[kStarted]) {
    // The first window is the earliest a tuple within the lag of this one may still fall in.
    p[kNextStart] = first_start_holding(ts - spec_.lag_ms);
    p[kStarted] = 1;
  }
  // Older than every window still open: its windows closed before it came.
  late = late || ts < p[kNextStart];
  if (late) {
    if (spec_.late_stream.empty())
      ++late_dropped_;
    else
      out_->emit(spec_.late_stream, input, input.values());
    out_->ack(input);
    return;
  }
  if (event_time_) {
    const std::int64_t* latest = latest_->find(input.source_task());
    if (!latest || *latest < ts) latest_->put(input.source_task(), ts);
  }
  add(ts, input.values());
  close_time_windows(watermark(now), &input);
  out_->ack(input);
}

void WindowedBolt::close_count_window(const Tuple* trigger) {
  std::vector<std::pair<std::int64_t, WindowTuple>> held;  // by seq
  entries_->for_each([&](const std::int64_t& seq, const std::pair<std::int64_t, Values>& e) {
    held.push_back({seq, WindowTuple{e.first, e.second}});
  });
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  TupleWindow window;
  for (auto& [seq, t] : held) window.tuples.push_back(std::move(t));
  Collector out(*out_, trigger);
  execute_window(window, out);
}

void WindowedBolt::close_time_windows(std::int64_t watermark, const Tuple* trigger) {
  auto& p = progress_->mutate();
  if (!p[kStarted]) return;
  const std::int64_t length = spec_.length.value, slide = spec_.slide.value;
  while (watermark != std::numeric_limits<std::int64_t>::min() &&
         p[kNextStart] + length - 1 <= watermark) {
    const std::int64_t start = p[kNextStart], end = start + length;
    std::vector<std::pair<std::pair<std::int64_t, std::int64_t>, WindowTuple>> held;
    entries_->for_each([&](const std::int64_t& seq, const std::pair<std::int64_t, Values>& e) {
      if (e.first >= start && e.first < end)
        held.push_back({{e.first, seq}, WindowTuple{e.first, e.second}});
    });
    if (!held.empty()) {
      std::sort(held.begin(), held.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      TupleWindow window{{}, start, end};
      for (auto& [order, t] : held) window.tuples.push_back(std::move(t));
      Collector out(*out_, trigger);
      execute_window(window, out);
    }
    // The next window; what only closed windows held goes, and windows that would hold
    // nothing are skipped.
    p[kNextStart] = start + slide;
    std::vector<std::int64_t> gone;
    std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
    entries_->for_each([&](const std::int64_t& seq, const std::pair<std::int64_t, Values>& e) {
      if (e.first < p[kNextStart])
        gone.push_back(seq);
      else
        earliest = std::min(earliest, e.first);
    });
    for (std::int64_t seq : gone) entries_->remove(seq);
    // Tuples after the watermark may still come: skip no window that could hold one.
    const std::int64_t next_held = std::min(earliest, watermark + 1);
    p[kNextStart] = std::max(p[kNextStart], first_start_holding(next_held));
  }
}

}  // namespace gale
