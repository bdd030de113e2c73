#include "log_reader.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <system_error>

namespace gale::balances {

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct PartitionsDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

Error read_error(const std::string& what) {
  return Error{std::make_error_code(std::errc::io_error), what};
}

}  // namespace

Result<std::int64_t> read_topic(const std::string& bootstrap, const std::string& topic,
                                const std::function<void(const LogRecord&)>& each, int stall_ms) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (auto [k, v] :
       {std::pair{"bootstrap.servers", bootstrap.c_str()},
        std::pair{"group.id", "gale-balances-reconcile"}, std::pair{"enable.auto.commit", "false"},
        std::pair{"enable.auto.offset.store", "false"},
        std::pair{"enable.partition.eof", "true"}}) {
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return read_error(std::string(k) + ": " + err);
    }
  }
  std::unique_ptr<rd_kafka_t, KafkaDeleter> rk(
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);  // still ours when rd_kafka_new fails
    return read_error(std::string("cannot make a Kafka consumer: ") + err);
  }

  // The partitions and where each ends now.
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 0, handle, &metadata, 10'000);
  rd_kafka_topic_destroy(handle);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return read_error("Kafka " + bootstrap + ": no metadata for topic " + topic + ": " +
                      rd_kafka_err2str(e));
  int partitions = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : 0;
  rd_kafka_resp_err_t topic_err =
      metadata->topic_cnt == 1 ? metadata->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  rd_kafka_metadata_destroy(metadata);
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || partitions == 0)
    return read_error("Kafka " + bootstrap + ": topic " + topic + ": " +
                      rd_kafka_err2str(topic_err));
  std::map<std::int32_t, std::int64_t> end, next;
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionsDeleter> assignment(
      rd_kafka_topic_partition_list_new(partitions));
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    e = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 10'000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return read_error("Kafka " + bootstrap + ": the end of " + topic + "[" + std::to_string(p) +
                        "]: " + rd_kafka_err2str(e));
    if (high > low) {
      end[p] = high;
      next[p] = low;
    }
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if ((e = rd_kafka_assign(rk.get(), assignment.get())) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return read_error(std::string("assign: ") + rd_kafka_err2str(e));

  std::int64_t records = 0;
  auto last_progress = std::chrono::steady_clock::now();
  auto done = [&] {
    for (const auto& [p, high] : end)
      if (next[p] < high) return false;
    return true;
  };
  while (!done()) {
    std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(rd_kafka_consumer_poll(rk.get(), 200));
    auto now = std::chrono::steady_clock::now();
    if (!m) {
      if (now - last_progress > std::chrono::milliseconds(stall_ms))
        return read_error("Kafka " + bootstrap + ": reading " + topic + " made no progress for " +
                          std::to_string(stall_ms) + " ms");
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // At the end (a transaction's last marker is never delivered as a record).
      if (auto it = end.find(m->partition); it != end.end()) next[m->partition] = it->second;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return read_error("Kafka " + bootstrap + ": " + rd_kafka_message_errstr(m.get()));
    last_progress = now;
    auto it = end.find(m->partition);
    if (it == end.end() || m->offset >= it->second) continue;  // written after the read began
    LogRecord record;
    record.partition = m->partition;
    record.offset = m->offset;
    if (m->key) record.key = {static_cast<const char*>(m->key), m->key_len};
    if (m->payload) record.value = {static_cast<const char*>(m->payload), m->len};
    each(record);
    ++records;
    next[m->partition] = m->offset + 1;
  }
  rd_kafka_consumer_close(rk.get());
  return records;
}

}  // namespace gale::balances
