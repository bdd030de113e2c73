#include "gale/kafka/kafka_spout.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "client_settings.h"
#include "failure_log.h"
#include "gale/kafka/message_id.h"
#include "gale/kafka/offset_tracker.h"
#include "rdkafka_client.h"

namespace gale::kafka {
namespace {

using Clock = OffsetTracker::Clock;

// The same on every machine and build (std::hash is not): every task must agree on owners.
std::size_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

// With checkpoints the spout assigns its partitions itself at its first next_tuple(): how long
// each librdkafka call may block, and how long after a failed try it tries again.
constexpr int kKafkaCallTimeoutMs = 2000;
constexpr auto kMetadataRetry = std::chrono::seconds(1);

Value optional_text(const std::optional<std::string_view>& s) {
  return s ? Value(*s) : Value();
}

std::optional<std::string_view> view(const void* data, std::size_t size) {
  if (data == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(data), size);
}

KafkaRecord record_of(const rd_kafka_message_t& m) {
  rd_kafka_timestamp_type_t type;
  std::int64_t ts = rd_kafka_message_timestamp(&m, &type);
  return {rd_kafka_topic_name(m.rkt), m.partition, m.offset, view(m.key, m.key_len),
          view(m.payload, m.len),     ts};
}

TopicPartition topic_partition(const rd_kafka_topic_partition_t& p) {
  return {p.topic, p.partition};
}

// Orders partitions by topic and number, and finds one by a topic name view without building
// a TopicPartition (no string copy per consumed message).
struct PartitionOrder {
  using is_transparent = void;
  using View = std::pair<std::string_view, std::int32_t>;
  static View view(const TopicPartition& tp) { return {tp.topic, tp.partition}; }
  static View view(const View& v) { return v; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return view(a) < view(b);
  }
};

std::string describe(const TopicPartition& tp) {
  return tp.topic + "[" + std::to_string(tp.partition) + "]";
}

}  // namespace

RecordTranslator RecordTranslator::standard() {
  return {
      {"topic", "partition", "offset", "key", "value"}, [](const KafkaRecord& r) {
        return Values{r.topic, r.partition, r.offset, optional_text(r.key), optional_text(r.value)};
      }};
}

RecordTranslator RecordTranslator::key_and_value() {
  return {{"key", "value"}, [](const KafkaRecord& r) {
            return Values{optional_text(r.key), optional_text(r.value)};
          }};
}

RecordTranslator RecordTranslator::value_only() {
  return {{"value"}, [](const KafkaRecord& r) { return Values{optional_text(r.value)}; }};
}

std::map<TopicPartition, std::int64_t> KafkaSpoutStats::committed() const {
  std::lock_guard lock(mu_);
  return committed_;
}

std::set<TopicPartition> KafkaSpoutStats::assigned() const {
  std::lock_guard lock(mu_);
  return assigned_;
}

void KafkaSpoutStats::record_commit(const TopicPartition& tp, std::int64_t offset) {
  std::lock_guard lock(mu_);
  auto [it, added] = committed_.emplace(tp, offset);
  // Async results may arrive after a later synchronous commit; keep the highest.
  if (!added) it->second = std::max(it->second, offset);
}

void KafkaSpoutStats::record_assigned(const TopicPartition& tp, bool assigned) {
  std::lock_guard lock(mu_);
  if (assigned) {
    assigned_.insert(tp);
  } else {
    assigned_.erase(tp);
  }
}

void KafkaSpoutStats::record_uncommitted(std::int64_t n) {
  std::int64_t seen = max_uncommitted.load(std::memory_order_relaxed);
  while (n > seen && !max_uncommitted.compare_exchange_weak(seen, n)) {
  }
}

// The consumer and the per-partition state of one open spout.
class KafkaSpout::Impl {
 public:
  Impl(const KafkaSpoutConfig& config, const RecordTranslator& translator, KafkaSpoutStats& stats,
       SpoutCollector& out, const TopologyContext& context);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void next_tuple();
  void ack(MessageId id);
  void fail(MessageId id);
  void close();
  std::string snapshot_position();
  void restore(const std::vector<std::string>& positions);
  void checkpoint_complete();

 private:
  // One assigned partition. Dropped on revoke: acks for its messages then find no slot.
  struct Partition {
    TopicPartition tp;
    std::uint16_t slot = 0;
    OffsetTracker tracker;
    std::unordered_map<std::int64_t, Values> kept;  // unacked messages, for replay
    bool paused = false;
    std::optional<std::int64_t> commit_sent;  // the last offset handed to a commit
    std::optional<std::int64_t> next;         // past every message emitted, or where it starts
    // docs/METRICS.md: kafka_committed_offset, kafka_end_offset, kafka_lag{topic, partition}.
    Gauge* committed = nullptr;
    Gauge* end = nullptr;
    Gauge* lag = nullptr;
  };

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void on_commit(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* offsets, void* opaque);
  // On a librdkafka thread, when the consumer queue gets an element while empty.
  static void on_queue_event(rd_kafka_t* rk, void* opaque);

  void assign(rd_kafka_topic_partition_list_t* partitions);
  // With checkpoints: this task's share of every topic's partitions, by index, each at a
  // concrete offset (resolve_start_offsets); tried again a second later on an error.
  void assign_statically();
  bool resolve_start_offsets(rd_kafka_topic_partition_list_t& list);
  void revoke(rd_kafka_topic_partition_list_t* partitions);
  std::int64_t start_offset() const;
  Partition& add_partition(const TopicPartition& tp);
  void drop_partition(const TopicPartition& tp);
  Partition* find(const PartitionOrder::View& tp);
  Partition* find(std::uint16_t slot);

  bool emit_due_replay(Clock::time_point now);
  void emit_new(const rd_kafka_message_t& m);
  void settle(Partition& p, std::int64_t offset);
  void set_paused(Partition& p, bool paused);

  // Reports an error to the topology (which logs it), thinned out per kind.
  void report(const std::string& kind, const std::string& detail);

  void maybe_commit(Clock::time_point now);
  // Once a second: each partition's committed offset, end offset (librdkafka's cached high
  // watermark, no request) and lag as gauges.
  void report_offsets(Clock::time_point now);
  // Offsets of `only` (all partitions when null) that moved since they were last sent.
  PartitionList commit_list(const rd_kafka_topic_partition_list_t* only);
  void commit_sync(const rd_kafka_topic_partition_list_t* only);
  void committed(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t& offsets);

  const KafkaSpoutConfig& config_;
  const RecordTranslator& translator_;
  KafkaSpoutStats& stats_;
  SpoutCollector& out_;
  MetricGroup& metrics_;
  Clock::time_point next_offsets_report_{};
  ClientHandle consumer_;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue, while it wakes the executor
  std::map<TopicPartition, std::unique_ptr<Partition>, PartitionOrder> partitions_;
  std::unordered_map<std::uint16_t, Partition*> by_slot_;
  std::uint16_t next_slot_ = 0;
  bool assigned_before_ = false;
  Clock::time_point next_commit_;
  FailureLog failures_;
  // Checkpoints (TopologyContext::checkpointing): where each partition starts after a recovery,
  // and the positions of the last snapshot, committed when its checkpoint completes.
  const bool checkpointing_;
  int task_index_ = 0;
  int task_count_ = 1;
  bool static_assigned_ = false;
  Clock::time_point next_metadata_try_{};
  std::map<TopicPartition, std::int64_t> restored_;
  std::map<TopicPartition, std::int64_t> snapshot_;
};

KafkaSpout::Impl::Impl(const KafkaSpoutConfig& config, const RecordTranslator& translator,
                       KafkaSpoutStats& stats, SpoutCollector& out, const TopologyContext& context)
    : config_(config),
      translator_(translator),
      stats_(stats),
      out_(out),
      metrics_(context.metrics()),
      checkpointing_(context.checkpointing()) {
  std::vector<Property> props = consumer_settings(config_);
  if (!config_.consumer_properties.contains("client.id")) {
    props.push_back({"client.id",
                     "gale-" + context.topology_name() + "-" + context.this_component() + "-" +
                         std::to_string(context.this_task()),
                     "(set by the spout)"});
  }
  ConfHandle conf = make_conf(props);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::on_rebalance);
  rd_kafka_conf_set_offset_commit_cb(conf.get(), &Impl::on_commit);
  consumer_ = make_client(RD_KAFKA_CONSUMER, std::move(conf));
  // Every callback (rebalance, commit results, errors) is then served by consumer_poll on the
  // executor thread.
  rd_kafka_poll_set_consumer(consumer_.get());

  if (checkpointing_) {
    // With checkpoints partitions never move between tasks while the topology runs (a moved
    // partition would be read again from the checkpoint by its new owner while the state
    // already holds what the old one emitted): task i of n reads partitions p with
    // p % n == i, as Flink's Kafka source does. Assigned at the first next_tuple(), once
    // restore_position() has said where each starts.
    task_index_ = context.this_task_index();
    task_count_ =
        std::max(1, static_cast<int>(context.component_tasks(context.this_component()).size()));
  } else {
    PartitionList topics = make_partition_list(static_cast<int>(config_.topics.size()));
    for (const std::string& t : config_.topics)
      rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
      throw std::runtime_error("Kafka spout: cannot subscribe to " + config_.prefix +
                               "topics: " + rd_kafka_err2str(err));
    }
  }
  next_commit_ = Clock::now() + config_.commit_interval;
  // Last, once nothing can throw. New messages (and rebalances) wake the spout's executor at once
  // instead of at its next poll. It still polls: commits and replays are due by time.
  queue_ = rd_kafka_queue_get_consumer(consumer_.get());
  rd_kafka_queue_cb_event_enable(queue_, &Impl::on_queue_event, this);
}

KafkaSpout::Impl::~Impl() {
  close();
}

void KafkaSpout::Impl::on_queue_event(rd_kafka_t*, void* opaque) {
  static_cast<Impl*>(opaque)->out_.input_available();
}

void KafkaSpout::Impl::close() {
  if (!consumer_) return;
  if (queue_) {
    rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    rd_kafka_queue_destroy(queue_);
    queue_ = nullptr;
  }
  if (!checkpointing_) commit_sync(nullptr);
  // Leaving the group revokes the assignment through on_rebalance, which commits again (a
  // no-op unless an ack came in between) and drops the partitions.
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get()))
    spdlog::warn("Kafka spout: leaving group {}: {}", config_.group_id, rd_kafka_err2str(err));
  for (const auto& [tp, p] : partitions_) stats_.record_assigned(tp, false);
  partitions_.clear();
  by_slot_.clear();
  consumer_.reset();
}

void KafkaSpout::Impl::assign_statically() {
  const auto now = Clock::now();
  if (now < next_metadata_try_) return;
  next_metadata_try_ = now + kMetadataRetry;
  PartitionList list = make_partition_list();
  for (const std::string& topic : config_.topics) {
    TopicHandle handle(rd_kafka_topic_new(consumer_.get(), topic.c_str(), nullptr));
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(consumer_.get(), 0, handle.get(), &metadata, kKafkaCallTimeoutMs);
    if (!err && (metadata->topic_cnt != 1 || metadata->topics[0].err ||
                 metadata->topics[0].partition_cnt == 0))
      err = metadata->topic_cnt == 1 && metadata->topics[0].err ? metadata->topics[0].err
                                                                : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    if (err) {
      if (metadata) rd_kafka_metadata_destroy(metadata);
      report("metadata", "Kafka spout: cannot read the partitions of '" + topic +
                             "', trying again in a second: " + rd_kafka_err2str(err));
      return;
    }
    // Spread over the tasks from a place that depends on the topic, so that partition 0 of
    // every topic does not land on task 0.
    const std::size_t first = fnv1a(topic) % static_cast<std::size_t>(task_count_);
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
      std::int32_t partition = metadata->topics[0].partitions[i].id;
      if ((first + static_cast<std::size_t>(partition)) % static_cast<std::size_t>(task_count_) ==
          static_cast<std::size_t>(task_index_))
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    }
    rd_kafka_metadata_destroy(metadata);
  }
  // Every partition starts at a known offset, so that every one is in each snapshot: one left
  // out would start by the strategy again after a recovery (with `latest`, past messages the
  // state has counted... or not).
  if (!resolve_start_offsets(*list)) return;
  static_assigned_ = true;
  assign(list.get());
}

bool KafkaSpout::Impl::resolve_start_offsets(rd_kafka_topic_partition_list_t& list) {
  PartitionList committed = make_partition_list(list.cnt);
  for (int i = 0; i < list.cnt; ++i)
    rd_kafka_topic_partition_list_add(committed.get(), list.elems[i].topic,
                                      list.elems[i].partition);
  const bool ask_group = config_.start == StartStrategy::committed;
  if (ask_group) {
    if (rd_kafka_resp_err_t err =
            rd_kafka_committed(consumer_.get(), committed.get(), kKafkaCallTimeoutMs)) {
      report("committed", std::string("Kafka spout: cannot read the group's offsets, trying "
                                      "again in a second: ") +
                              rd_kafka_err2str(err));
      return false;
    }
  }
  for (int i = 0; i < list.cnt; ++i) {
    rd_kafka_topic_partition_t& el = list.elems[i];
    TopicPartition tp = topic_partition(el);
    if (auto it = restored_.find(tp); it != restored_.end()) {
      el.offset = it->second;  // where the checkpoint says, whichever task read it then
      continue;
    }
    // A topic the checkpoint has positions of: a partition it does not know is new since.
    const bool topic_in_checkpoint =
        std::any_of(restored_.begin(), restored_.end(),
                    [&](const auto& r) { return r.first.topic == tp.topic; });
    if (ask_group && !topic_in_checkpoint && committed->elems[i].offset >= 0) {
      el.offset = committed->elems[i].offset;
      continue;
    }
    // No position, no commit: a partition new since the checkpoint starts at its beginning;
    // otherwise the strategy, as a concrete offset.
    bool latest = !topic_in_checkpoint && (config_.start == StartStrategy::latest ||
                                           (config_.start == StartStrategy::committed &&
                                            config_.offset_reset == OffsetReset::latest));
    std::int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            consumer_.get(), el.topic, el.partition, &low, &high, kKafkaCallTimeoutMs)) {
      report("watermarks", "Kafka spout: cannot read the offsets of " + describe(tp) +
                               ", trying again in a second: " + rd_kafka_err2str(err));
      return false;
    }
    el.offset = latest ? high : low;
  }
  return true;
}

void KafkaSpout::Impl::next_tuple() {
  if (checkpointing_ && !static_assigned_) {
    assign_statically();
    if (!static_assigned_) return;
  }
  Clock::time_point now = Clock::now();
  maybe_commit(now);
  report_offsets(now);
  if (emit_due_replay(now)) return;
  MessageHandle m(rd_kafka_consumer_poll(consumer_.get(), 0));
  if (!m) return;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    report(std::string("consume ") + rd_kafka_err2name(m->err),
           std::string("Kafka spout: consumer: ") + rd_kafka_message_errstr(m.get()));
    return;
  }
  emit_new(*m);
}

void KafkaSpout::Impl::ack(MessageId id) {
  SpoutMessageId mid = SpoutMessageId::decode(id);
  Partition* p = find(mid.slot);
  if (p == nullptr || !p->tracker.ack(mid.offset)) {
    ++stats_.stale;
    return;
  }
  ++stats_.acked;
  settle(*p, mid.offset);
  maybe_commit(Clock::now());
}

void KafkaSpout::Impl::fail(MessageId id) {
  SpoutMessageId mid = SpoutMessageId::decode(id);
  Partition* p = find(mid.slot);
  if (p == nullptr) {
    ++stats_.stale;
    return;
  }
  switch (p->tracker.fail(mid.offset, Clock::now())) {
    case OffsetTracker::FailOutcome::ignored:
      ++stats_.stale;
      return;
    case OffsetTracker::FailOutcome::scheduled:
      ++stats_.failed;
      return;
    case OffsetTracker::FailOutcome::dropped:
      ++stats_.failed;
      ++stats_.dropped;
      out_.report_error("Kafka spout: gave up " + describe(p->tp) + " offset " +
                        std::to_string(mid.offset) + " after " +
                        std::to_string(config_.retry.max_retries) + " retries (" + config_.prefix +
                        "retry.max.retries)");
      settle(*p, mid.offset);
      return;
  }
}

// ---- partition assignment

void KafkaSpout::Impl::on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->assign(partitions);
  } else {
    // Revoked, or a rebalance error: either way these partitions are no longer ours.
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
      spdlog::warn("Kafka spout: rebalance error: {}", rd_kafka_err2str(err));
    self->revoke(partitions);
  }
}

std::int64_t KafkaSpout::Impl::start_offset() const {
  // earliest/latest are a fresh start of this spout; a partition that moves here later in the
  // run resumes from what its previous owner committed.
  if (!assigned_before_ && config_.start == StartStrategy::earliest)
    return RD_KAFKA_OFFSET_BEGINNING;
  if (!assigned_before_ && config_.start == StartStrategy::latest) return RD_KAFKA_OFFSET_END;
  return RD_KAFKA_OFFSET_INVALID;  // the committed offset, else auto.offset.reset
}

void KafkaSpout::Impl::assign(rd_kafka_topic_partition_list_t* partitions) {
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& el = partitions->elems[i];
    // With checkpoints the offsets are concrete already (assign_statically).
    if (!checkpointing_) el.offset = start_offset();
    Partition& p = add_partition(topic_partition(el));
    if (checkpointing_) p.next = el.offset;
  }
  assigned_before_ = true;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), partitions))
    spdlog::error("Kafka spout: assign: {}", rd_kafka_err2str(err));
  // librdkafka keeps a partition's pause across a revoke and a re-assign to this consumer, but
  // the spout starts each assigned partition afresh (not paused): without this, a partition the
  // cap paused before a rebalance would never be read again, and nothing would say so.
  if (rd_kafka_resp_err_t err = rd_kafka_resume_partitions(consumer_.get(), partitions))
    spdlog::warn("Kafka spout: resume after assign: {}", rd_kafka_err2str(err));
}

void KafkaSpout::Impl::revoke(rd_kafka_topic_partition_list_t* partitions) {
  // Commit what the acks allow before the partitions go: their next owner starts there. (With
  // checkpoints only completed checkpoints commit.)
  if (!checkpointing_) commit_sync(partitions);
  for (int i = 0; i < partitions->cnt; ++i) drop_partition(topic_partition(partitions->elems[i]));
  rd_kafka_assign(consumer_.get(), nullptr);  // eager protocol: everything goes (config.cc)
}

KafkaSpout::Impl::Partition& KafkaSpout::Impl::add_partition(const TopicPartition& tp) {
  drop_partition(tp);
  while (by_slot_.contains(next_slot_)) ++next_slot_;
  auto p = std::make_unique<Partition>(
      Partition{tp,
                next_slot_++,
                OffsetTracker(config_.max_uncommitted_per_partition, config_.retry),
                {},
                false,
                std::nullopt,
                std::nullopt});
  Partition& ref = *p;
  MetricLabels labels{{"topic", tp.topic}, {"partition", std::to_string(tp.partition)}};
  ref.committed = &metrics_.gauge("kafka_committed_offset", labels);
  ref.end = &metrics_.gauge("kafka_end_offset", labels);
  ref.lag = &metrics_.gauge("kafka_lag", labels);
  by_slot_[ref.slot] = &ref;
  partitions_[tp] = std::move(p);
  stats_.record_assigned(tp, true);
  return ref;
}

void KafkaSpout::Impl::drop_partition(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  // Its new owner reports it now; the figures here go to 0 so that sums over tasks hold.
  for (Gauge* g : {it->second->committed, it->second->end, it->second->lag}) g->set(0);
  by_slot_.erase(it->second->slot);
  partitions_.erase(it);
  stats_.record_assigned(tp, false);
}

KafkaSpout::Impl::Partition* KafkaSpout::Impl::find(const PartitionOrder::View& tp) {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : it->second.get();
}

KafkaSpout::Impl::Partition* KafkaSpout::Impl::find(std::uint16_t slot) {
  auto it = by_slot_.find(slot);
  return it == by_slot_.end() ? nullptr : it->second;
}

// ---- emitting

bool KafkaSpout::Impl::emit_due_replay(Clock::time_point now) {
  for (auto& [tp, p] : partitions_) {
    std::optional<std::int64_t> offset = p->tracker.take_due_replay(now);
    if (!offset) continue;
    out_.emit(p->kept.at(*offset), SpoutMessageId{p->slot, *offset}.encode());
    ++stats_.replayed;
    return true;
  }
  return false;
}

void KafkaSpout::Impl::emit_new(const rd_kafka_message_t& m) {
  Partition* p = find({rd_kafka_topic_name(m.rkt), m.partition});
  // A message of a partition revoked meanwhile: its next owner reads it again.
  if (p == nullptr) return;
  if (m.offset > kMaxTrackedOffset) {
    throw std::out_of_range("Kafka spout: offset " + std::to_string(m.offset) + " of " +
                            describe(p->tp) + " is beyond the 2^48 the message id can carry");
  }
  Values values;
  try {
    values = translator_.translate(record_of(m));
  } catch (const std::exception& e) {
    ++stats_.dropped;
    out_.report_error("Kafka spout: translator failed on " + describe(p->tp) + " offset " +
                      std::to_string(m.offset) + ", message skipped: " + e.what());
    return;
  }
  if (!p->tracker.emit(m.offset)) return;  // delivered before: already tracked
  p->next = m.offset + 1;
  out_.emit(values, SpoutMessageId{p->slot, m.offset}.encode());
  p->kept.emplace(m.offset, std::move(values));
  ++stats_.emitted;
  stats_.record_uncommitted(static_cast<std::int64_t>(p->tracker.uncommitted()));
  if (!p->tracker.can_emit()) set_paused(*p, true);
}

// The message at `offset` is done with (acked or given up).
void KafkaSpout::Impl::settle(Partition& p, std::int64_t offset) {
  p.kept.erase(offset);
  if (p.paused && p.tracker.can_emit()) set_paused(p, false);
}

void KafkaSpout::Impl::set_paused(Partition& p, bool paused) {
  PartitionList list = make_partition_list();
  rd_kafka_topic_partition_list_add(list.get(), p.tp.topic.c_str(), p.tp.partition);
  rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(consumer_.get(), list.get())
                                   : rd_kafka_resume_partitions(consumer_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("Kafka spout: {} {}: {}", paused ? "pause" : "resume", describe(p.tp),
                 rd_kafka_err2str(err));
    return;
  }
  p.paused = paused;
  if (paused) ++stats_.pauses;
}

void KafkaSpout::Impl::report(const std::string& kind, const std::string& detail) {
  std::string line = failures_.note(kind, detail);
  if (!line.empty()) out_.report_error(line);
}

// ---- committing

void KafkaSpout::Impl::report_offsets(Clock::time_point now) {
  if (now < next_offsets_report_ || partitions_.empty()) return;
  next_offsets_report_ = now + std::chrono::seconds(1);
  std::map<TopicPartition, std::int64_t> committed = stats_.committed();
  for (auto& [tp, p] : partitions_) {
    std::int64_t low = 0, high = 0;
    bool end_known = rd_kafka_get_watermark_offsets(consumer_.get(), tp.topic.c_str(), tp.partition,
                                                    &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                     high >= 0;
    auto c = committed.find(tp);
    std::optional<std::int64_t> done =
        c != committed.end() ? std::optional<std::int64_t>(c->second) : p->next;
    if (c != committed.end()) p->committed->set(static_cast<double>(c->second));
    if (!end_known) continue;
    p->end->set(static_cast<double>(high));
    if (done) p->lag->set(static_cast<double>(std::max<std::int64_t>(0, high - *done)));
  }
}

void KafkaSpout::Impl::maybe_commit(Clock::time_point now) {
  if (checkpointing_ || now < next_commit_) return;
  next_commit_ = now + config_.commit_interval;
  PartitionList offsets = commit_list(nullptr);
  if (offsets->cnt == 0) return;
  if (rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), 1)) {
    spdlog::warn("Kafka spout: commit: {}", rd_kafka_err2str(err));
    for (auto& [tp, p] : partitions_) p->commit_sent.reset();  // try again next time
  }
}

PartitionList KafkaSpout::Impl::commit_list(const rd_kafka_topic_partition_list_t* only) {
  PartitionList offsets = make_partition_list(static_cast<int>(partitions_.size()));
  auto add = [&](Partition& p) {
    std::optional<std::int64_t> next = p.tracker.committable();
    if (!next || next == p.commit_sent) return;
    rd_kafka_topic_partition_list_add(offsets.get(), p.tp.topic.c_str(), p.tp.partition)->offset =
        *next;
    p.commit_sent = next;
  };
  if (only == nullptr) {
    for (auto& [tp, p] : partitions_) add(*p);
    return offsets;
  }
  for (int i = 0; i < only->cnt; ++i) {
    if (Partition* p = find({only->elems[i].topic, only->elems[i].partition})) add(*p);
  }
  return offsets;
}

void KafkaSpout::Impl::commit_sync(const rd_kafka_topic_partition_list_t* only) {
  PartitionList offsets = commit_list(only);
  if (offsets->cnt == 0) return;
  // Without a queue the call waits for the result and hands it to on_commit itself (and only
  // there: rd_kafka_commit would report it a second time through the next poll).
  rd_kafka_commit_queue(consumer_.get(), offsets.get(), nullptr, &Impl::on_commit, this);
}

void KafkaSpout::Impl::on_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  // Nothing to commit is not a failure: another commit already carried these offsets.
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  static_cast<Impl*>(opaque)->committed(err, *offsets);
}

void KafkaSpout::Impl::committed(rd_kafka_resp_err_t err,
                                 const rd_kafka_topic_partition_list_t& offsets) {
  for (int i = 0; i < offsets.cnt; ++i) {
    const rd_kafka_topic_partition_t& el = offsets.elems[i];
    TopicPartition tp = topic_partition(el);
    rd_kafka_resp_err_t e = err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : el.err;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      stats_.record_commit(tp, el.offset);
      continue;
    }
    std::string line =
        failures_.note(std::string("commit ") + rd_kafka_err2name(e),
                       "Kafka spout: commit of " + describe(tp) + " offset " +
                           std::to_string(el.offset) + " failed: " + rd_kafka_err2str(e));
    if (!line.empty()) spdlog::warn("{}", line);
    Partition* p = find(PartitionOrder::view(tp));
    if (p != nullptr && p->commit_sent == el.offset) p->commit_sent.reset();  // send it again
  }
}

// ---- checkpoints

std::string KafkaSpout::Impl::snapshot_position() {
  // Before its partitions are assigned a task knows no position: an empty one restored would
  // start every partition over. No part: this checkpoint does not complete.
  if (checkpointing_ && !static_assigned_)
    throw std::runtime_error("Kafka spout: partitions not assigned yet");
  std::string out;
  snapshot_.clear();
  for (const auto& [tp, p] : partitions_) {
    if (!p->next) continue;  // (with checkpoints every partition starts at a known offset)
    snapshot_[tp] = *p->next;
    out += tp.topic + "\t" + std::to_string(tp.partition) + "\t" + std::to_string(*p->next) + "\n";
  }
  return out;
}

void KafkaSpout::Impl::restore(const std::vector<std::string>& positions) {
  for (const std::string& text : positions) {
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(at, end - at);
      at = end + 1;
      auto t1 = line.find('\t');
      auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
      try {
        if (t2 == std::string::npos) throw std::invalid_argument("two tabs expected");
        TopicPartition tp{line.substr(0, t1),
                          static_cast<std::int32_t>(std::stol(line.substr(t1 + 1, t2 - t1 - 1)))};
        restored_[tp] = std::stoll(line.substr(t2 + 1));
      } catch (const std::exception&) {
        throw std::runtime_error("Kafka spout: a checkpoint holds a malformed position '" + line +
                                 "'");
      }
    }
  }
}

void KafkaSpout::Impl::checkpoint_complete() {
  PartitionList offsets = make_partition_list(static_cast<int>(snapshot_.size()));
  for (const auto& [tp, offset] : snapshot_)
    if (find(PartitionOrder::view(tp)))
      rd_kafka_topic_partition_list_add(offsets.get(), tp.topic.c_str(), tp.partition)->offset =
          offset;
  snapshot_.clear();
  if (offsets->cnt == 0) return;
  if (rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), 1))
    spdlog::warn("Kafka spout: commit of a checkpoint's offsets: {}", rd_kafka_err2str(err));
}

// ---- the spout

KafkaSpout::KafkaSpout(KafkaSpoutConfig config, RecordTranslator translator,
                       std::shared_ptr<KafkaSpoutStats> stats)
    : config_(std::move(config)),
      translator_(std::move(translator)),
      stats_(stats ? std::move(stats) : std::make_shared<KafkaSpoutStats>()) {
  config_.validate();
  if (!translator_.translate) throw std::invalid_argument("Kafka spout: the translator is empty");
}

KafkaSpout::~KafkaSpout() = default;

void KafkaSpout::open(const Config&, TopologyContext& context, SpoutCollector& collector) {
  impl_ = std::make_unique<Impl>(config_, translator_, *stats_, collector, context);
}

void KafkaSpout::next_tuple() {
  impl_->next_tuple();
}
void KafkaSpout::ack(MessageId id) {
  impl_->ack(id);
}
void KafkaSpout::fail(MessageId id) {
  impl_->fail(id);
}

void KafkaSpout::close() {
  if (impl_) impl_->close();
  impl_.reset();
}

std::string KafkaSpout::snapshot_position() {
  return impl_->snapshot_position();
}

void KafkaSpout::restore_position(const std::vector<std::string>& positions, std::size_t) {
  impl_->restore(positions);  // partitions move between tasks: every task's positions
}

void KafkaSpout::checkpoint_complete(CheckpointId) {
  impl_->checkpoint_complete();
}

void KafkaSpout::declare_outputs(OutputDeclarer& declarer) const {
  declarer.declare(translator_.fields);
}

}  // namespace gale::kafka
