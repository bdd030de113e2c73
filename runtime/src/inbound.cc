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

Batch& Inbound::batch_for(int dest) {
  for (auto& [d, b] : batches_)
    if (d == dest) return *b;
  return *batches_.emplace_back(dest, pool_.acquire()).second;
}

Status Inbound::add_tuple(int target_task, int source_task, int stream_index, const Values& values,
                          std::span<const std::uint64_t> roots,
                          std::span<const std::uint64_t> values_in) {
  const Layout& layout = runtime_.layout();
  if (target_task < 1 || target_task > layout.task_count() ||
      !runtime_.is_local(layout.executor_of_task(target_task)))
    return refused("tuple for task " + std::to_string(target_task) +
                   ", which does not run in this worker");
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
  Tuple& t = batch_for(layout.executor_of_task(target_task)).next_slot(target_task);
  detail::TupleAccess::reset(t, &schema, source_task, values);
  auto& a = detail::TupleAccess::anchors(t);
  for (std::size_t i = 0; i < roots.size(); ++i) a.emplace_back(roots[i], values_in[i]);
  return {};
}

Status Inbound::add_ack(const AckMessage& m) {
  const Layout& layout = runtime_.layout();
  if (m.task < 0 || m.task > layout.task_count())
    return refused("acker message naming unknown task " + std::to_string(m.task));
  int target = ack_target_task(layout, m);
  auto taker = m.to_acker()                                      ? ComponentInfo::Kind::acker
               : m.kind == AckMessage::Kind::checkpoint_declined ? ComponentInfo::Kind::checkpoint
                                                                 : ComponentInfo::Kind::spout;
  if (target == 0 || !runtime_.is_local(layout.executor_of_task(target)) ||
      layout.component(layout.component_of_task(target)).kind != taker)
    return refused("acker message of kind " + std::to_string(static_cast<int>(m.kind)) +
                   " for task " + std::to_string(target) + ", which cannot take it here");
  batch_for(layout.executor_of_task(target)).acks.push_back(m);
  return {};
}

void Inbound::abandon() {
  for (auto& [dest, b] : batches_)
    if (b) BatchPool::release(std::move(b));
  batches_.clear();
}

}  // namespace gale::runtime
