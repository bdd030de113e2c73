#include "transport_bridge.h"

#include "gale/common/logging.h"
#include "gale/common/wait_strategy.h"
#include "gale/runtime/runtime.h"
#include "tuple_access.h"

namespace gale::runtime {
namespace {

// Builds the Inbound batches, one per local executor, from one decoded message.
class MessageVisitor final : public transport::BatchVisitor {
 public:
  // `seen`: scratch by task id (task count + 1 entries), kept across messages.
  MessageVisitor(Inbound& inbound, std::uint64_t epoch, std::vector<std::uint64_t>& seen,
                 std::uint64_t& record)
      : inbound_(inbound), epoch_(epoch), seen_(seen), record_(record) {}

  bool on_batch(const transport::BatchHeader& header) override {
    if (header.topology_epoch != epoch_)
      error_ = "batch from another assignment (epoch " + std::to_string(header.topology_epoch) +
               ", this worker runs " + std::to_string(epoch_) + ")";
    return error_.empty();
  }
  void on_tuple(const transport::TupleView& t) override {
    if (!error_.empty()) return;
    // One emit reaches a task at most once, so a record names at most every task here, each
    // once: the values are copied per target, and a record may not multiply them beyond that.
    if (t.target_tasks.size() >= seen_.size()) {
      error_ = "tuple for " + std::to_string(t.target_tasks.size()) + " targets, more than the " +
               std::to_string(seen_.size() - 1) + " tasks of the topology";
      return;
    }
    for (std::int32_t task : t.target_tasks) {
      if (task < 1 || static_cast<std::size_t>(task) >= seen_.size()) continue;  // Inbound says
      if (seen_[static_cast<std::size_t>(task)] == record_) {
        error_ = "tuple names target task " + std::to_string(task) + " twice";
        return;
      }
      seen_[static_cast<std::size_t>(task)] = record_;
    }
    ++record_;
    const std::size_t k = t.anchor_roots.size();
    for (std::size_t i = 0; i < t.target_tasks.size() && error_.empty(); ++i)
      fail_if(inbound_.add_tuple(t.target_tasks[i], t.source_task, t.stream_index, t.values,
                                 t.anchor_roots, t.anchor_values.subspan(i * k, k)));
  }
  void on_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root,
              std::uint64_t value) override {
    if (!error_.empty()) return;
    if (kind > static_cast<std::uint8_t>(AckMessage::kLastKind))
      error_ = "acker message of unknown kind " + std::to_string(kind);
    else
      fail_if(inbound_.add_ack({static_cast<AckMessage::Kind>(kind), task, root, value}));
  }

  const std::string& error() const { return error_; }

 private:
  void fail_if(const Status& s) {
    if (error_.empty() && !s) error_ = s.error().message;
  }

  Inbound& inbound_;
  std::uint64_t epoch_;
  std::vector<std::uint64_t>& seen_;  // by task: the last record that named it
  std::uint64_t& record_;             // numbers records, from 1, across messages
  std::string error_;
};

}  // namespace

TransportBridge::TransportBridge(Runtime& runtime, transport::Transport& transport,
                                 std::vector<std::string> peers, std::uint64_t epoch)
    : runtime_(runtime),
      transport_(transport),
      peers_(std::move(peers)),
      epoch_(epoch),
      inbound_(runtime, inbound_pool_),
      seen_tasks_(static_cast<std::size_t>(runtime.layout().task_count()) + 1, 0) {}

TransportBridge::~TransportBridge() {
  stop_receiving();
}

namespace {

// Whether slot j of `batch` is the same emit as slot i, in the same trees (as every target of
// one emit is): then it is encoded with slot i, as one more target.
bool same_emit(const Batch& batch, std::size_t i, std::size_t j) {
  if (batch.emits[i] == 0 || batch.emits[j] != batch.emits[i]) return false;
  const auto& a = detail::TupleAccess::anchors(batch.tuples[i]);
  const auto& b = detail::TupleAccess::anchors(batch.tuples[j]);
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](const auto& x, const auto& y) { return x.first == y.first; });
}

}  // namespace

bool TransportBridge::try_send(int dest, const Batch& batch) {
  // Per sending thread: the encoder and the scratch of a multi-target tuple.
  thread_local transport::BatchEncoder encoder;
  thread_local std::vector<std::int32_t> targets;
  thread_local std::vector<std::uint64_t> roots;
  thread_local std::vector<std::uint64_t> values;
  encoder.reset(epoch_);
  for (std::size_t i = 0, end; i < batch.size; i = end) {
    const Tuple& t = batch.tuples[i];
    const auto& anchors = detail::TupleAccess::anchors(t);
    const int stream = detail::TupleAccess::schema(t)->stream_index;
    for (end = i + 1; end < batch.size && same_emit(batch, i, end);) ++end;
    if (end == i + 1) {
      encoder.add_tuple(batch.targets[i], t.source_task(), stream, t.values(), anchors);
      continue;
    }
    // Encode once: one emit's tuple for several tasks of that worker, values written once.
    targets.assign(batch.targets.begin() + static_cast<std::ptrdiff_t>(i),
                   batch.targets.begin() + static_cast<std::ptrdiff_t>(end));
    roots.clear();
    for (const auto& a : anchors) roots.push_back(a.first);
    values.clear();
    for (std::size_t k = i; k < end; ++k)
      for (const auto& a : detail::TupleAccess::anchors(batch.tuples[k]))
        values.push_back(a.second);
    encoder.add_tuple(targets, t.source_task(), stream, t.values(), roots, values);
  }
  for (const AckMessage& m : batch.acks)
    encoder.add_ack(static_cast<std::uint8_t>(m.kind), m.task, m.root, m.value);
  auto result = transport_.send(peers_[static_cast<std::size_t>(dest)], encoder.bytes(),
                                transport::Clock::now());
  // timed_out: the peer is full or not up yet; the executor keeps the batch and retries.
  // closed / unknown peer: shutting down or re-planning; what is lost is replayed by timeouts.
  return result != transport::SendResult::timed_out;
}

void TransportBridge::start_receiving() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] { receive_loop(); });
}

void TransportBridge::stop_receiving() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void TransportBridge::receive_loop() {
  while (!stop_.load()) {
    parked_.retry(runtime_);
    auto wait = parked_.empty() ? std::chrono::milliseconds(50) : std::chrono::milliseconds(1);
    if (auto m = transport_.receive(transport::Clock::now() + wait)) handle(*m);
  }
}

void TransportBridge::handle(const transport::Message& message) {
  MessageVisitor visitor(inbound_, epoch_, seen_tasks_, records_);
  std::string error;
  try {
    auto status = decoder_.decode(message.bytes(), visitor);
    error = !status ? status.error().message : visitor.error();
  } catch (const std::exception& e) {  // e.g. bad_alloc: the message goes, the worker stays
    error = std::string("cannot take the batch: ") + e.what();
  }
  if (error.empty() && inbound_.empty()) error = "empty batch";
  if (!error.empty()) {
    inbound_.abandon();
    report_rejected(message, error);
    return;
  }
  inbound_.finish(finished_);
  for (auto& [dest, batch] : finished_) deliver(dest, std::move(batch));
}

// Counted always (the worker's heartbeat carries the count); logged with the sender, the first
// time and then at most once per kRejectedLogSecs, so a flood cannot fill the log.
void TransportBridge::report_rejected(const transport::Message& message, const std::string& error) {
  const std::uint64_t count = rejected_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::int64_t now = runtime_.clock().now_ns();
  if (count > 1 && now - rejected_logged_ns_ < kRejectedLogSecs * 1'000'000'000) return;
  rejected_logged_ns_ = now;
  std::string sender = message.sender();
  spdlog::warn("refused a batch from {}: {} ({} refused since the start)",
               sender.empty() ? "an unknown sender" : sender, error, count);
}

void TransportBridge::deliver(int dest, BatchPtr batch) {
  bool acker_traffic = takes_acker_traffic(runtime_.layout(), dest);
  if (parked_.empty() || acker_traffic) {
    if (runtime_.try_deliver(dest, batch)) return;
  }
  ProgressiveWait wait(kReceiverParkMicros);
  if (acker_traffic) {
    // Ackers and spouts always drain: wait for room.
    while (!runtime_.try_deliver(dest, batch) && !stop_.load()) wait.idle();
    return;
  }
  parked_.park(dest, std::move(batch));
  while (parked_.size() > kMaxParked && !stop_.load()) {
    if (!parked_.retry(runtime_)) wait.idle();
  }
}

}  // namespace gale::runtime
