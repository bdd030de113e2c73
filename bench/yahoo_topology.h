#pragma once
// The Yahoo Streaming Benchmark's pipeline as a Gale topology:
//
//   ad-events (KafkaSpout, "value") -> deserialize (JSON, 7 fields) -> filter (event_type ==
//   "view") -> projection (ad_id, event_time) -> join (ad_id -> campaign_id from Redis, cached)
//   -> campaign-windows (fields grouping on campaign_id: a count per campaign and 10 s window
//   of event time, written to Redis once a second, and optionally when a window closes)
//
// What campaign-windows writes, as the original benchmark does (one hash per campaign window
// with seen_count and time_updated), except that a window's key is derived from its campaign
// and start instead of a random UUID, so that a flush needs no read first:
//   <campaign_id>                 hash: <window start ms> -> <window key>, "windows" -> <list key>
//   <campaign_id>:windows         list of window starts (ms)
//   <campaign_id>:<window start>  hash: seen_count (HINCRBY per flush), time_updated (ms, the
//                                 wall clock at the flush that last added to it)
// The benchmark loads "campaigns" (a set of campaign ids) and "<ad_id>" -> "<campaign_id>".
#include <gale/gale.h>

#include <memory>

#include "gale/kafka/config.h"
#include "gale/kafka/kafka_spout.h"
#include "gale/redis/options.h"

namespace gale::bench {

struct YahooTopologyOptions {
  kafka::KafkaSpoutConfig spout;
  redis::ConnectionOptions redis;
  // Executors of each of deserialize, filter, projection and join.
  int parallelism = 1;
  // Executors of campaign-windows.
  int window_parallelism = 1;
  // Write a window's count as soon as event time passes its end, besides once a second (the
  // original writes only once a second).
  bool write_on_close = false;
  // The spout's counts (acked: events that went through the whole pipeline).
  std::shared_ptr<kafka::KafkaSpoutStats> spout_stats;
};

// Throws InvalidTopology (or kafka::KafkaConfigError for a bad spout config).
Topology yahoo_topology(const YahooTopologyOptions& options);

}  // namespace gale::bench
