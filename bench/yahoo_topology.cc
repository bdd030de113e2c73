#include "yahoo_topology.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <chrono>
#include <map>
#include <string_view>
#include <unordered_map>

#include "ad_events.h"
#include "gale/redis/client.h"

namespace gale::bench {
namespace {

namespace od = simdjson::ondemand;

// The event's fields, in the order the deserializer emits them.
constexpr std::array<std::string_view, 7> kEventFields = {
    "user_id", "page_id", "ad_id", "ad_type", "event_type", "event_time", "ip_address"};
constexpr std::size_t kAdId = 2;
constexpr std::size_t kEventType = 4;
constexpr std::size_t kEventTime = 5;

Fields event_fields() {
  return Fields{std::vector<std::string>(kEventFields.begin(), kEventFields.end())};
}

// JSON -> the seven fields as strings, in any order in the object. A message that is not such
// an object is reported and dropped (acked): replaying it could never succeed.
class DeserializeBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override {
    const Value& raw = in.get(0);
    std::string error = raw.is_string() ? parse(raw.as_string()) : "the message has no value";
    if (!error.empty()) {
      out.report_error("ad event dropped: " + error);
      return;
    }
    out.emit(values_);
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare(event_fields()); }

 private:
  // Fills values_; returns what is wrong, or nothing.
  std::string parse(std::string_view json) {
    // simdjson reads a little past the end of its input: parse a padded copy.
    buffer_.reserve(json.size() + simdjson::SIMDJSON_PADDING);
    buffer_.assign(json);
    od::document doc;
    od::object object;
    if (parser_.iterate(buffer_.data(), json.size(), buffer_.capacity()).get(doc) ||
        doc.get_object().get(object))
      return "not a JSON object";
    values_.assign(kEventFields.size(), Value(nullptr));
    for (auto field : object) {
      std::string_view key, value;
      if (field.unescaped_key().get(key)) return "not JSON";
      for (std::size_t i = 0; i < kEventFields.size(); ++i) {
        if (key != kEventFields[i]) continue;
        if (field.value().get_string().get(value)) return std::string(key) + ": expected a string";
        values_[i] = Value(value);
      }
    }
    for (std::size_t i = 0; i < kEventFields.size(); ++i)
      if (values_[i].is_null()) return "missing field '" + std::string(kEventFields[i]) + "'";
    return {};
  }

  od::parser parser_;
  std::string buffer_;
  Values values_;
};

// Passes on the ad views; clicks and purchases stop here.
class FilterBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override {
    if (in.get(kEventType).as_string() == "view") out.emit(in.values());
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare(event_fields()); }
};

// Keeps the two fields the rest of the pipeline needs.
class ProjectionBolt : public BasicBolt {
 public:
  void execute(const Tuple& in, BasicCollector& out) override {
    out.emit({in.get(kAdId), in.get(kEventTime)});
  }
  void declare_outputs(OutputDeclarer& d) const override { d.declare({"ad_id", "event_time"}); }
};

// ad_id -> campaign_id from Redis, through a local cache as the original's: the ads are a small
// fixed catalog (1000), so after the first sight of each ad no event waits for Redis. A cache
// miss is one synchronous GET; an ad Redis does not know is dropped; a Redis failure fails the
// input (the spout replays it).
class JoinBolt : public BasicBolt {
 public:
  explicit JoinBolt(redis::ConnectionOptions options) : client_(std::move(options)) {}
  void execute(const Tuple& in, BasicCollector& out) override {
    const std::string& ad = in.get(0).as_string();
    auto cached = campaigns_.find(ad);
    if (cached == campaigns_.end()) {
      auto reply = client_.command({"GET", ad});
      if (!reply) throw FailedException("campaign of ad " + ad + ": " + reply.error().message);
      if (reply.value().type != redis::Reply::Type::string) return;
      cached = campaigns_.emplace(ad, reply.value().str).first;
    }
    out.emit({cached->second, in.get(0), in.get(1)});
  }
  void declare_outputs(OutputDeclarer& d) const override {
    d.declare({"campaign_id", "ad_id", "event_time"});
  }

 private:
  redis::RedisClient client_;
  std::unordered_map<std::string, std::string> campaigns_;
};

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counts views per campaign and 10 s window of event time, and once a second (on its tick)
// writes what each window gained since the last write: one pipeline for every window. With
// write_on_close it also writes as soon as an event of a later window arrives (event time has
// passed the end of the windows it holds), so that a closed window's last time_updated is not
// up to a second late waiting for the tick.
//
// An input is acked once counted, so counts not yet written are lost if the worker dies: the
// original benchmark's guarantee. Holding the acks until the write would make it
// at-least-once (and a replay would count twice), at the price of a second of tuples in
// flight, which topology.max.spout.pending would have to allow.
class CampaignWindowBolt : public Bolt {
 public:
  CampaignWindowBolt(redis::ConnectionOptions options, bool write_on_close)
      : client_(std::move(options)), write_on_close_(write_on_close) {}
  void prepare(const Config&, TopologyContext&, OutputCollector& out) override { out_ = &out; }

  void execute(const Tuple& in) override {
    if (in.is_tick()) {
      flush();
      return;
    }
    const std::string& time = in.get(2).as_string();
    std::int64_t event_time = 0;
    if (std::from_chars(time.data(), time.data() + time.size(), event_time).ec != std::errc{}) {
      out_->report_error("event_time is not a number: '" + time + "'");
    } else {
      std::int64_t start = window_start(event_time);
      if (write_on_close_ && !windows_.empty() && start > windows_.rbegin()->first) flush();
      ++windows_[start][in.get(0).as_string()].unwritten;
    }
    out_->ack(in);
  }

 private:
  struct Window {
    std::int64_t unwritten = 0;  // views counted since the last write
    bool listed = false;         // already in the campaign's hash and windows list
  };
  // Window start -> campaign id -> window. Ordered by start so that old windows go first.
  using Windows = std::map<std::int64_t, std::unordered_map<std::string, Window>>;
  static constexpr std::size_t kWindowsKept = 10;  // as the original's cache of 10 windows

  void flush() {
    std::vector<redis::Command> commands;
    std::string now = std::to_string(wall_clock_ms());
    for (auto& [start, campaigns] : windows_) {
      std::string start_ms = std::to_string(start);
      for (auto& [campaign, window] : campaigns) {
        if (window.unwritten == 0) continue;
        std::string key = campaign + ":" + start_ms;
        if (!window.listed) {
          commands.push_back({"HSET", campaign, start_ms, key, "windows", campaign + ":windows"});
          commands.push_back({"LPUSH", campaign + ":windows", start_ms});
        }
        commands.push_back({"HINCRBY", key, "seen_count", std::to_string(window.unwritten)});
        commands.push_back({"HSET", key, "time_updated", now});
      }
    }
    if (commands.empty()) return;
    auto replies = client_.pipeline(commands);
    if (!replies) {
      // The counts stay; the next tick writes them.
      out_->report_error("window counts not written: " + replies.error().message);
      return;
    }
    for (const auto& reply : replies.value())
      if (reply.is_error()) out_->report_error("window counts: " + reply.to_string());
    for (auto& [start, campaigns] : windows_)
      for (auto& [campaign, window] : campaigns)
        if (window.unwritten > 0) window = {0, true};
    while (windows_.size() > kWindowsKept) windows_.erase(windows_.begin());
  }

  redis::RedisClient client_;
  bool write_on_close_;
  OutputCollector* out_ = nullptr;
  Windows windows_;
};

}  // namespace

Topology yahoo_topology(const YahooTopologyOptions& o) {
  TopologyBuilder b;
  auto spout_config = o.spout;
  auto stats = o.spout_stats;
  b.set_spout("ad-events", [spout_config, stats] {
    return std::make_unique<kafka::KafkaSpout>(spout_config, kafka::RecordTranslator::value_only(),
                                               stats);
  });
  b.set_bolt(
       "deserialize", [] { return std::make_unique<DeserializeBolt>(); }, o.parallelism)
      .local_or_shuffle_grouping("ad-events");
  b.set_bolt(
       "filter", [] { return std::make_unique<FilterBolt>(); }, o.parallelism)
      .local_or_shuffle_grouping("deserialize");
  b.set_bolt(
       "projection", [] { return std::make_unique<ProjectionBolt>(); }, o.parallelism)
      .local_or_shuffle_grouping("filter");
  auto redis_options = o.redis;
  b.set_bolt(
       "join", [redis_options] { return std::make_unique<JoinBolt>(redis_options); }, o.parallelism)
      .local_or_shuffle_grouping("projection");
  bool write_on_close = o.write_on_close;
  b.set_bolt(
       "campaign-windows",
       [redis_options, write_on_close] {
         return std::make_unique<CampaignWindowBolt>(redis_options, write_on_close);
       },
       o.window_parallelism)
      .fields_grouping("join", Fields{"campaign_id"})
      .add_configuration(conf::kTopologyTickTupleFreqSecs, 1);
  return b.build();
}

}  // namespace gale::bench
