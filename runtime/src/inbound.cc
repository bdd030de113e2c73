#include "inbound.h"

#include <algorithm>

#include "gale/runtime/runtime.h"
#include "tuple_access.h"

namespace gale::runtime {
namespace {

Error refused(std::string message) {
  return make_error(RuntimeErrc::refused_batch, std::move(message));
}

}  // namespace

Inbound::Inbound(const Runtime& runtime, BatchPool& pool) : runtime_(runtime), pool_(pool) {}

Status Inbound::begin(int dest) {
  abandon();
  const auto& executors = runtime_.layout().executors();
  if (dest < 0 || dest >= static_cast<int>(executors.size()) || !runtime_.is_local(dest))
    return refused("batch for executor " + std::to_string(dest) +
                   ", which does not run in this worker");
  dest_ = dest;
  batch_ = pool_.acquire();
  return {};
}

Status Inbound::add_tuple(int target_task, int source_task, int stream_index, const Values& values,
                          std::span<const std::pair<std::uint64_t, std::uint64_t>> anchors) {
  const Layout& layout = runtime_.layout();
  if (!batch_) return refused("tuple outside a batch");
  if (target_task < 1 || target_task > layout.task_count() ||
      layout.executor_of_task(target_task) != dest_)
    return refused("tuple for task " + std::to_string(target_task) + ", which executor " +
                   std::to_string(dest_) + " does not run");
  if (source_task < 1 || source_task > layout.task_count())
    return refused("tuple from unknown task " + std::to_string(source_task));
  const ComponentInfo& source = layout.component(layout.component_of_task(source_task));
  if (stream_index < 0 || stream_index >= static_cast<int>(source.streams.size()))
    return refused("tuple on stream #" + std::to_string(stream_index) + " of '" + source.id +
                   "', which declares " + std::to_string(source.streams.size()));
  const auto& schema = source.streams[static_cast<std::size_t>(stream_index)]->schema;
  if (values.size() != schema.fields.size())
    return refused("tuple with " + std::to_string(values.size()) + " values on '" + source.id +
                   ":" + schema.stream + "', declared with fields " + schema.fields.to_string());
  Tuple& t = batch_->next_slot(target_task);
  detail::TupleAccess::reset(t, &schema, source_task, values);
  auto& a = detail::TupleAccess::anchors(t);
  a.assign(anchors.begin(), anchors.end());
  return {};
}

Status Inbound::add_ack(const AckMessage& m) {
  const Layout& layout = runtime_.layout();
  if (!batch_) return refused("acker message outside a batch");
  if (m.task < 0 || m.task > layout.task_count())
    return refused("acker message naming unknown task " + std::to_string(m.task));
  int target = ack_target_task(layout, m);
  auto taker = m.to_acker() ? ComponentInfo::Kind::acker : ComponentInfo::Kind::spout;
  if (target == 0 || layout.executor_of_task(target) != dest_ ||
      layout.component(layout.component_of_task(target)).kind != taker)
    return refused("acker message of kind " + std::to_string(static_cast<int>(m.kind)) +
                   " for executor " + std::to_string(dest_) + ", which cannot take it");
  batch_->acks.push_back(m);
  return {};
}

void Inbound::abandon() {
  if (batch_) BatchPool::release(std::move(batch_));
  dest_ = -1;
}

}  // namespace gale::runtime
