#include "groupings.h"

#include <algorithm>
#include <random>

#include "gale/common/random.h"

namespace gale::runtime {

std::uint64_t hash_fields(const Values& values, const std::vector<std::size_t>& indices) {
  std::uint64_t h = 0x243f6a8885a308d3ULL;
  for (std::size_t i : indices) {
    std::uint64_t v = i < values.size() ? values[i].hash() : 0;
    h = (h ^ v) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return splitmix64(h);
}

namespace {

// Round-robin over the targets in a random order: even load, no per-tuple random draw.
class ShuffleGrouping final : public StreamGrouping {
 public:
  ShuffleGrouping(std::vector<int> targets, std::uint64_t seed) : order_(std::move(targets)) {
    std::mt19937_64 rng(seed);
    std::shuffle(order_.begin(), order_.end(), rng);
    next_ = order_.empty() ? 0 : seed % order_.size();
  }
  void choose(int, const Values&, std::vector<int>& out) override {
    if (order_.empty()) return;
    out.push_back(order_[next_]);
    if (++next_ == order_.size()) next_ = 0;
  }

 private:
  std::vector<int> order_;
  std::size_t next_ = 0;
};

std::vector<std::size_t> field_indices(const Fields& grouping, const Fields& stream) {
  std::vector<std::size_t> indices;
  for (const auto& f : grouping.names()) indices.push_back(*stream.index_of(f));
  return indices;
}

class FieldsGrouping final : public StreamGrouping {
 public:
  FieldsGrouping(std::vector<std::size_t> indices, const std::vector<int>& targets)
      : indices_(std::move(indices)), targets_(targets) {}
  void choose(int, const Values& values, std::vector<int>& out) override {
    out.push_back(targets_[hash_fields(values, indices_) % targets_.size()]);
  }

 private:
  std::vector<std::size_t> indices_;
  const std::vector<int>& targets_;
};

class AllGrouping final : public StreamGrouping {
 public:
  explicit AllGrouping(const std::vector<int>& targets) : targets_(targets) {}
  void choose(int, const Values&, std::vector<int>& out) override {
    out.insert(out.end(), targets_.begin(), targets_.end());
  }

 private:
  const std::vector<int>& targets_;
};

class GlobalGrouping final : public StreamGrouping {
 public:
  explicit GlobalGrouping(int lowest) : lowest_(lowest) {}
  void choose(int, const Values&, std::vector<int>& out) override { out.push_back(lowest_); }

 private:
  int lowest_;
};

// Partial-key grouping ("the power of both choices"): each key has two candidate tasks; the
// one this emitter has sent less to wins, which splits a hot key over two tasks.
class PartialKeyGrouping final : public StreamGrouping {
 public:
  PartialKeyGrouping(std::vector<std::size_t> indices, const std::vector<int>& targets)
      : indices_(std::move(indices)), targets_(targets), load_(targets.size(), 0) {}
  void choose(int, const Values& values, std::vector<int>& out) override {
    std::uint64_t h1 = hash_fields(values, indices_);
    std::uint64_t mix = h1 ^ 0x9e3779b97f4a7c15ULL;
    std::uint64_t h2 = splitmix64(mix);
    std::size_t a = h1 % targets_.size(), b = h2 % targets_.size();
    std::size_t pick = load_[a] <= load_[b] ? a : b;
    ++load_[pick];
    out.push_back(targets_[pick]);
  }

 private:
  std::vector<std::size_t> indices_;
  const std::vector<int>& targets_;
  std::vector<std::uint64_t> load_;
};

class CustomGrouping final : public StreamGrouping {
 public:
  explicit CustomGrouping(std::unique_ptr<CustomStreamGrouping> g) : grouping_(std::move(g)) {}
  void choose(int source_task, const Values& values, std::vector<int>& out) override {
    grouping_->choose_tasks(source_task, values, out);
  }

 private:
  std::unique_ptr<CustomStreamGrouping> grouping_;
};

// Task k of the source to task k of the subscriber (both have the same number of tasks, and a
// component's tasks are consecutive). Also what a chained subscription uses: the partner task
// runs in the emitting task's executor.
class OneToOneGrouping final : public StreamGrouping {
 public:
  OneToOneGrouping(int first_source_task, const std::vector<int>& targets)
      : first_source_(first_source_task), targets_(targets) {}
  void choose(int source_task, const Values&, std::vector<int>& out) override {
    out.push_back(targets_[static_cast<std::size_t>(source_task - first_source_)]);
  }

 private:
  int first_source_;
  const std::vector<int>& targets_;
};

std::vector<int> local_targets(const std::vector<int>& targets, const std::vector<int>& worker) {
  std::vector<int> local;
  for (int t : targets)
    if (std::find(worker.begin(), worker.end(), t) != worker.end()) local.push_back(t);
  return local.empty() ? targets : local;
}

}  // namespace

std::unique_ptr<StreamGrouping> make_grouping(const GroupingSpec& spec) {
  const auto& targets = *spec.targets;
  if (spec.chained || spec.grouping->kind == Grouping::Kind::one_to_one)
    return std::make_unique<OneToOneGrouping>(spec.source_tasks->front(), targets);
  switch (spec.grouping->kind) {
    case Grouping::Kind::shuffle:
    case Grouping::Kind::none:
      return std::make_unique<ShuffleGrouping>(targets, spec.seed);
    case Grouping::Kind::local_or_shuffle:
      return std::make_unique<ShuffleGrouping>(local_targets(targets, *spec.worker_tasks),
                                               spec.seed);
    case Grouping::Kind::fields:
      return std::make_unique<FieldsGrouping>(
          field_indices(spec.grouping->fields, *spec.stream_fields), targets);
    case Grouping::Kind::partial_key:
      return std::make_unique<PartialKeyGrouping>(
          field_indices(spec.grouping->fields, *spec.stream_fields), targets);
    case Grouping::Kind::all:
      return std::make_unique<AllGrouping>(targets);
    case Grouping::Kind::global:
      return std::make_unique<GlobalGrouping>(targets.front());
    case Grouping::Kind::direct:
    case Grouping::Kind::one_to_one:  // above
      return nullptr;
    case Grouping::Kind::custom: {
      auto g = spec.grouping->custom();
      g->prepare(*spec.context, *spec.source_component, *spec.stream, targets);
      return std::make_unique<CustomGrouping>(std::move(g));
    }
  }
  return nullptr;
}

}  // namespace gale::runtime
