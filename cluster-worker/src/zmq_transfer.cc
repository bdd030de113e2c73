#include "zmq_transfer.h"

#include "gale/common/logging.h"
#include "gale/common/wait_strategy.h"
#include "gale/worker/tuple_access.h"

namespace gale::cluster {

using worker::AckMessage;

std::string peer_id(const std::string& host, int port) { return host + ":" + std::to_string(port); }

bool ZmqTransfer::try_send(int dest, const worker::Batch& batch) {
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

namespace {

// Builds one Inbound batch from one decoded message; all its entries go to one executor.
class MessageVisitor final : public transport::BatchVisitor {
 public:
  MessageVisitor(worker::Inbound& inbound, const worker::Layout& layout, std::uint32_t epoch)
      : inbound_(inbound), layout_(layout), epoch_(epoch) {}

  bool on_batch(const transport::BatchHeader& header) override {
    if (header.topology_epoch != epoch_) error_ = "batch from another assignment (epoch " +
                                                  std::to_string(header.topology_epoch) + ")";
    return error_.empty();
  }
  void on_tuple(const transport::TupleView& t) override {
    if (!start(layout_.executor_of_task_checked(t.target_tasks.front()))) return;
    for (std::int32_t target : t.target_tasks)
      fail_if(inbound_.add_tuple(target, t.source_task, t.stream_index, t.values, t.anchors));
  }
  void on_ack(std::uint8_t kind, std::int32_t task, std::uint64_t root, std::uint64_t value) override {
    auto k = static_cast<AckMessage::Kind>(kind);
    bool to_acker = k == AckMessage::Kind::init || k == AckMessage::Kind::ack || k == AckMessage::Kind::fail;
    int dest = to_acker && layout_.acking() ? layout_.executor_of_task(layout_.acker_for(root))
                                            : layout_.executor_of_task_checked(task);
    if (!start(dest)) return;
    fail_if(inbound_.add_ack({k, task, root, value}));
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
  void fail_if(std::string e) {
    if (error_.empty() && !e.empty()) error_ = std::move(e);
  }

  worker::Inbound& inbound_;
  const worker::Layout& layout_;
  std::uint32_t epoch_;
  int dest_ = -1;
  std::string error_;
};

constexpr std::size_t kMaxParked = 256;

}  // namespace

Receiver::Receiver(transport::Transport& transport, worker::Runtime& runtime, std::uint32_t epoch)
    : transport_(transport), runtime_(runtime), epoch_(epoch), inbound_(runtime) {
  thread_ = std::thread([this] { run(); });
}

Receiver::~Receiver() {
  stop_.store(true);
  thread_.join();
}

void Receiver::run() {
  while (!stop_.load()) {
    deliver_parked();
    auto wait = parked_.empty() ? std::chrono::milliseconds(50) : std::chrono::milliseconds(1);
    if (auto m = transport_.receive(transport::Clock::now() + wait)) handle(m->bytes());
  }
}

void Receiver::handle(std::span<const std::uint8_t> bytes) {
  MessageVisitor visitor(inbound_, runtime_.layout(), epoch_);
  auto status = decoder_.decode(bytes, visitor);
  std::string error = !status ? status.message() : visitor.error();
  if (error.empty() && visitor.dest() < 0) error = "empty batch";
  if (!error.empty()) {
    inbound_.abandon();
    if (rejected_.fetch_add(1) % 1000 == 0) spdlog::warn("rejected a batch from a peer: {}", error);
    return;
  }
  deliver(visitor.dest(), inbound_.finish());
}

void Receiver::deliver(int dest, worker::BatchPtr batch) {
  auto kind = runtime_.layout().component(runtime_.layout().executors()[static_cast<std::size_t>(dest)].component).kind;
  bool acker_traffic = kind != worker::ComponentInfo::Kind::bolt;
  if (parked_.empty() || acker_traffic) {
    if (runtime_.try_deliver(dest, batch)) return;
  }
  if (acker_traffic) {
    // Ackers and spouts always drain: wait for room.
    ProgressiveWait wait(50);
    while (!runtime_.try_deliver(dest, batch) && !stop_.load()) wait.idle();
    return;
  }
  parked_.emplace_back(dest, std::move(batch));
  ProgressiveWait wait(50);
  while (parked_.size() > kMaxParked && !stop_.load()) {
    if (!deliver_parked()) wait.idle();
  }
}

bool Receiver::deliver_parked() {
  bool did = false;
  while (!parked_.empty() && runtime_.try_deliver(parked_.front().first, parked_.front().second)) {
    parked_.pop_front();
    did = true;
  }
  return did;
}

}  // namespace gale::cluster
