#include "transport_bridge.h"

#include "gale/common/logging.h"
#include "gale/common/wait_strategy.h"
#include "gale/runtime/runtime.h"
#include "tuple_access.h"

namespace gale::runtime {
namespace {

// Builds one Inbound batch from one decoded message; all its entries go to one executor.
class MessageVisitor final : public transport::BatchVisitor {
 public:
  MessageVisitor(Inbound& inbound, const Layout& layout, std::uint64_t epoch)
      : inbound_(inbound), layout_(layout), epoch_(epoch) {}

  bool on_batch(const transport::BatchHeader& header) override {
    if (header.topology_epoch != epoch_)
      error_ = "batch from another assignment (epoch " + std::to_string(header.topology_epoch) +
               ", this worker runs " + std::to_string(epoch_) + ")";
    return error_.empty();
  }
  void on_tuple(const transport::TupleView& t) override {
    if (!start(layout_.executor_of_task_checked(t.target_tasks.front()))) return;
    for (std::int32_t target : t.target_tasks)
      fail_if(inbound_.add_tuple(target, t.source_task, t.stream_index, t.values, t.anchors));
  }
  void on_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root,
              std::uint64_t value) override {
    if (kind > static_cast<std::uint8_t>(AckMessage::Kind::failed)) {
      error_ = "acker message of unknown kind " + std::to_string(kind);
      return;
    }
    AckMessage m{static_cast<AckMessage::Kind>(kind), task, root, value};
    if (!start(layout_.executor_of_task_checked(ack_target_task(layout_, m)))) return;
    fail_if(inbound_.add_ack(m));
  }

  int dest() const { return dest_; }
  const std::string& error() const { return error_; }

 private:
  bool start(int dest) {
    if (!error_.empty()) return false;
    if (dest_ < 0) {
      dest_ = dest;
      fail_if(inbound_.begin(dest));
    } else if (dest != dest_) {
      error_ = "batch mixes executors " + std::to_string(dest_) + " and " + std::to_string(dest);
    }
    return error_.empty();
  }
  void fail_if(const Status& s) {
    if (error_.empty() && !s) error_ = s.error().message;
  }

  Inbound& inbound_;
  const Layout& layout_;
  std::uint64_t epoch_;
  int dest_ = -1;
  std::string error_;
};

}  // namespace

TransportBridge::TransportBridge(Runtime& runtime, transport::Transport& transport,
                                 std::vector<std::string> peers, std::uint64_t epoch)
    : runtime_(runtime),
      transport_(transport),
      peers_(std::move(peers)),
      epoch_(epoch),
      inbound_(runtime, inbound_pool_) {}

TransportBridge::~TransportBridge() {
  stop_receiving();
}

bool TransportBridge::try_send(int dest, const Batch& batch) {
  thread_local transport::BatchEncoder encoder;
  encoder.reset(epoch_);
  for (std::size_t i = 0; i < batch.size; ++i) {
    const Tuple& t = batch.tuples[i];
    encoder.add_tuple(batch.targets[i], t.source_task(),
                      detail::TupleAccess::schema(t)->stream_index, t.values(),
                      detail::TupleAccess::anchors(t));
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
  MessageVisitor visitor(inbound_, runtime_.layout(), epoch_);
  auto status = decoder_.decode(message.bytes(), visitor);
  std::string error = !status ? status.error().message : visitor.error();
  if (error.empty() && visitor.dest() < 0) error = "empty batch";
  if (!error.empty()) {
    inbound_.abandon();
    report_rejected(message, error);
    return;
  }
  deliver(visitor.dest(), inbound_.finish());
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
