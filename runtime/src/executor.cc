#include "executor.h"

#include <cstring>
#include <future>
#include <stdexcept>

#include "gale/common/logging.h"
#include "tuple_access.h"

namespace gale::runtime {

using detail::TupleAccess;

Executor::Executor(Runtime& runtime, int index)
    : runtime_(runtime),
      layout_(runtime.layout()),
      index_(index),
      info_(layout_.executors()[static_cast<std::size_t>(index)]),
      component_(layout_.component(info_.component)),
      inbox_(runtime.settings().inbox_batches),
      pool_(kOutputPoolBatches),
      out_(layout_.executors().size()) {
  debug_ = component_.config.get_bool(conf::kTopologyDebug);
  default_stream_ = component_.stream(kDefaultStream);
}

Executor::~Executor() {
  join();
}

void Executor::start() {
  std::promise<void> prepared;
  auto ready = prepared.get_future();
  thread_ = std::thread([this, p = std::move(prepared)]() mutable {
    try {
      build_groupings();
      prepare();
      p.set_value();
    } catch (...) {
      p.set_exception(std::current_exception());
      return;
    }
    thread_main();
  });
  ready.get();  // rethrows a failed open()/prepare()
}

void Executor::join() {
  if (thread_.joinable()) {
    request_stop();
    thread_.join();
  }
}

void Executor::thread_main() {
  bool is_bolt = component_.kind != ComponentInfo::Kind::spout;
  ProgressiveWait wait(is_bolt ? runtime_.settings().bolt_park_us
                               : runtime_.settings().spout_park_us);
  while (!stopping()) {
    if (work()) {
      idle_.store(false, std::memory_order_release);
      wait.reset();
      continue;
    }
    flush();
    bool blocked = holds_output();
    idle_.store(dirty_.empty() && self_.empty() && !blocked, std::memory_order_release);
    if (blocked) {
      wait.park();
    } else {
      wait.idle();
    }
  }
  flush();
  shutdown();
}

void Executor::build_groupings() {
  if (!info_.tasks.empty()) grouping_context_ = make_context(runtime_, info_.tasks.front());
  for (const auto& s : component_.streams) {
    auto& list = groupings_.emplace_back();
    for (const auto& sub : s->subscribers) {
      GroupingSpec spec{&sub.grouping,
                        &component_.id,
                        &s->schema.stream,
                        &s->schema.fields,
                        &layout_.component(sub.component).tasks,
                        &runtime_.worker_tasks(),
                        grouping_context_.get(),
                        ids_.next()};
      list.push_back(make_grouping(spec));
    }
  }
}

Batch& Executor::batch_for(int target_task) {
  int dest = layout_.executor_of_task(target_task);
  auto& b = out_[static_cast<std::size_t>(dest)];
  if (b && b->count() >= runtime_.settings().batch_size) push(dest, std::move(b));
  if (!b) {
    b = pool_.acquire();
    dirty_.push_back(dest);
  }
  return *b;
}

Tuple& Executor::slot_for(int target_task) {
  return batch_for(target_task).next_slot(target_task);
}

void Executor::send_ack(const AckMessage& m) {
  batch_for(ack_target_task(layout_, m)).acks.push_back(m);
}

void Executor::flush() {
  for (int dest : dirty_) {
    auto& b = out_[static_cast<std::size_t>(dest)];
    if (b) push(dest, std::move(b));
  }
  dirty_.clear();
}

void Executor::push(int dest, BatchPtr batch) {
  if (dest == index_) {
    self_.push_back(std::move(batch));
    return;
  }
  if (!runtime_.try_deliver(dest, batch)) on_full(dest, std::move(batch));
}

void Executor::on_full(int dest, BatchPtr batch) {
  ProgressiveWait wait(runtime_.settings().bolt_park_us);
  while (!runtime_.try_deliver(dest, batch)) {
    if (stopping()) return;  // shutting down: nothing downstream will read it
    wait.idle();
  }
}

BatchPtr Executor::take_self_batch() {
  if (self_.empty()) return nullptr;
  BatchPtr b = std::move(self_.front());
  self_.pop_front();
  return b;
}

const StreamInfo& Executor::route(int source_task, std::string_view stream, const Values& values,
                                  int direct_task) {
  // Most emits go to the default stream: a comparison of constant length the compiler inlines.
  const StreamInfo* s = stream.size() == 7 && std::memcmp(stream.data(), "default", 7) == 0
                            ? default_stream_
                            : component_.stream(stream);
  if (!s)
    throw std::invalid_argument("component '" + component_.id + "' emitted on undeclared stream '" +
                                std::string(stream) + "'");
  if (values.size() != s->schema.fields.size())
    throw std::invalid_argument("component '" + component_.id + "' emitted " +
                                std::to_string(values.size()) + " values on stream '" +
                                s->schema.stream + "', declared with fields " +
                                s->schema.fields.to_string());
  targets_.clear();
  if (direct_task < 0) {
    if (s->schema.direct)
      throw std::invalid_argument("stream '" + s->schema.stream + "' of '" + component_.id +
                                  "' is direct: emit to it with emit_direct");
    for (auto& chooser : groupings_[static_cast<std::size_t>(s->schema.stream_index)])
      chooser->choose(source_task, values, targets_);
    return *s;
  }
  if (!s->schema.direct)
    throw std::invalid_argument("emit_direct on stream '" + s->schema.stream + "' of '" +
                                component_.id + "', which is not declared direct");
  bool subscribed = false;
  if (direct_task >= 1 && direct_task <= layout_.task_count()) {
    int c = layout_.component_of_task(direct_task);
    for (const auto& sub : s->subscribers)
      subscribed |= sub.component == c && sub.grouping.kind == Grouping::Kind::direct;
  }
  if (!subscribed)
    throw std::invalid_argument("emit_direct to task " + std::to_string(direct_task) +
                                ", which does not subscribe to '" + component_.id + ":" +
                                s->schema.stream + "' with direct grouping");
  targets_.push_back(direct_task);
  return *s;
}

void Executor::log_emit(int task, const StreamInfo& s, const Values& values) const {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : ", ") + v.to_string();
  spdlog::info("{}:{} emitted on '{}' to {} task(s): [{}]", component_.id, task, s.schema.stream,
               targets_.size(), text);
}

void Executor::report_error(int task, std::string_view message) {
  spdlog::warn("{}:{} error: {}", component_.id, task, message);
  stats_.report_error(message);
}

}  // namespace gale::runtime
