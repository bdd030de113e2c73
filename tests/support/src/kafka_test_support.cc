#include "gale/testing/kafka_test_support.h"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <stdexcept>
#include <thread>

namespace gale::kafka::testing {
namespace {

// RAII for librdkafka's C handles (the connector's own are private to it).
struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using ClientHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, RdKafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, RdKafkaDeleter>;

struct Property {
  std::string name;
  std::string value;
  std::string source;
};

PartitionList make_partition_list(int size = 1) {
  return PartitionList(rd_kafka_topic_partition_list_new(size));
}

ClientHandle client(rd_kafka_type_t type, std::vector<Property> props) {
  ConfHandle conf(rd_kafka_conf_new());
  char err[512];
  for (const Property& p : props) {
    if (rd_kafka_conf_set(conf.get(), p.name.c_str(), p.value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK)
      throw std::runtime_error("librdkafka refuses " + p.name + "=" + p.value + ": " + err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it
  return ClientHandle(rk);
}

ClientHandle producer(const std::string& bootstrap) {
  return client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap, "test"}});
}

void send(rd_kafka_t* rk, const std::string& topic, std::int32_t partition,
          const std::string& value) {
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
  if (err) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
}

void flush(rd_kafka_t* rk) {
  if (rd_kafka_resp_err_t err = rd_kafka_flush(rk, 10'000))
    throw std::runtime_error(std::string("flush: ") + rd_kafka_err2str(err));
}

PartitionList all_partitions(const std::string& topic, int partitions, std::int64_t offset) {
  PartitionList list = make_partition_list(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = offset;
  return list;
}

}  // namespace

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

Config topology_config() {
  Config c;
  c.set(conf::kTopologyAckerExecutors, 1);
  c.set(conf::kTopologySpoutWaitParkMicrosec, 50);
  c.set(conf::kTopologyBoltWaitParkMicrosec, 50);
  return c;
}

KafkaSpoutConfig spout_config(const MockCluster& cluster, std::vector<std::string> topics,
                              const std::string& group) {
  KafkaSpoutConfig c;
  c.bootstrap_servers = cluster.bootstrap_servers();
  c.topics = std::move(topics);
  c.group_id = group;
  c.commit_interval = 100ms;
  c.retry.initial = 10ms;
  c.retry.max = 100ms;
  // The mock answers a group's first join after 3 s and drops members silent for
  // session.timeout.ms (a joining member is silent), so the timeout must exceed 3 s; later
  // rebalances take session.timeout.ms - 1 s.
  c.consumer_properties = {{"session.timeout.ms", "4000"},
                           {"heartbeat.interval.ms", "100"},
                           {"fetch.wait.max.ms", "10"}};
  return c;
}

void produce(const std::string& bootstrap, const std::string& topic, int partitions, int from,
             int to) {
  ClientHandle rk = producer(bootstrap);
  for (int i = from; i < to; ++i) {
    for (int p = 0; p < partitions; ++p)
      send(rk.get(), topic, p, topic + "-p" + std::to_string(p) + "-" + std::to_string(i));
  }
  flush(rk.get());
}

void produce_one(const std::string& bootstrap, const std::string& topic, std::int32_t partition,
                 const std::string& value) {
  ClientHandle rk = producer(bootstrap);
  send(rk.get(), topic, partition, value);
  flush(rk.get());
}

std::vector<Message> consume(const std::string& bootstrap, const std::string& topic, int partitions,
                             std::size_t count, std::chrono::milliseconds limit) {
  ClientHandle rk = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap, "test"},
                                               {"group.id", "test-reader", "test"},
                                               {"enable.auto.commit", "false", "test"},
                                               {"fetch.wait.max.ms", "10", "test"},
                                               {"fetch.error.backoff.ms", "10", "test"}});
  PartitionList from_start = all_partitions(topic, partitions, RD_KAFKA_OFFSET_BEGINNING);
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), from_start.get()))
    throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));
  std::vector<Message> out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    MessageHandle m(rd_kafka_consumer_poll(rk.get(), 100));
    if (!m || m->err) continue;
    Message msg{m->partition, m->offset, std::nullopt, std::nullopt};
    if (m->key) msg.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) msg.value = std::string(static_cast<const char*>(m->payload), m->len);
    out.push_back(std::move(msg));
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

std::map<std::int32_t, std::int64_t> committed_offsets(const std::string& bootstrap,
                                                       const std::string& group,
                                                       const std::string& topic, int partitions) {
  ClientHandle rk = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap, "test"},
                                               {"group.id", group, "test"},
                                               {"enable.auto.commit", "false", "test"}});
  PartitionList list = all_partitions(topic, partitions, RD_KAFKA_OFFSET_INVALID);
  if (rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), 5000))
    throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(err));
  std::map<std::int32_t, std::int64_t> out;
  for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
  return out;
}

void commit_offsets(const std::string& bootstrap, const std::string& group,
                    const std::string& topic, int partitions, std::int64_t offset) {
  ClientHandle rk = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap, "test"},
                                               {"group.id", group, "test"},
                                               {"enable.auto.commit", "false", "test"}});
  PartitionList list = all_partitions(topic, partitions, offset);
  if (rd_kafka_resp_err_t err = rd_kafka_commit(rk.get(), list.get(), 0))
    throw std::runtime_error(std::string("commit: ") + rd_kafka_err2str(err));
}

std::int64_t Probe::first_offset(std::int32_t partition) {
  return with([&]() -> std::int64_t {
    auto it = seen.lower_bound({partition, 0});
    return it != seen.end() && it->first.first == partition ? it->first.second : -1;
  });
}

void ProbeBolt::execute(const Tuple& t) {
  if (!t.is_tick()) {
    auto partition = static_cast<std::int32_t>(t.get("partition").as_int());
    std::int64_t offset = t.get("offset").as_int();
    int times = probe_->with([&] {
      probe_->values.push_back(t.get("value").as_string());
      return ++probe_->seen[{partition, offset}];
    });
    if (times <= behaviour_.fail_times) {
      out_->fail(t);
    } else if (behaviour_.hold && behaviour_.hold(partition, offset)) {
      held_.push_back(t);
      probe_->with([&] { return ++probe_->held; });
    } else {
      out_->ack(t);
    }
  }
  if (!held_.empty() && probe_->with([&] { return probe_->release; })) {
    for (const Tuple& h : held_) out_->ack(h);
    held_.clear();
  }
}

void ListSpout::next_tuple() {
  if (!replays_.empty()) {
    MessageId id = replays_.back();
    replays_.pop_back();
    emit(id);
  } else if (next_ < count_) {
    emit(static_cast<MessageId>(next_++));
  }
}

void ListSpout::fail(MessageId id) {
  probe_->with([&] { return probe_->failed.insert(id); });
  if (replay_) replays_.push_back(id);
}

void ListSpout::emit(MessageId id) {
  std::string i = std::to_string(id);
  out_->emit({"k" + i, "v" + i}, id);
}

}  // namespace gale::kafka::testing
