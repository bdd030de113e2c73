#include "metric_registry.h"

#include <stdexcept>

namespace gale::runtime {

class MetricRegistry::TaskGroup final : public MetricGroup {
 public:
  TaskGroup(MetricRegistry& registry, int task) : registry_(registry), task_(task) {}

  Counter& counter(std::string_view name, const MetricLabels& labels) override {
    Entry* e = registry_.find_or_add(task_, name, metrics::Kind::counter, labels, nullptr);
    return e ? *e->counter : registry_.unreported_counter_;
  }
  Gauge& gauge(std::string_view name, const MetricLabels& labels, GaugeCombine combine) override {
    Entry* e = registry_.find_or_add(task_, name, metrics::Kind::gauge, labels, nullptr, combine);
    return e ? *e->gauge : registry_.unreported_gauge_;
  }
  Histogram& histogram(std::string_view name, const std::vector<double>& bounds,
                       const MetricLabels& labels) override {
    Entry* e = registry_.find_or_add(task_, name, metrics::Kind::histogram, labels, &bounds);
    return e ? *e->histogram : registry_.unreported_histogram_;
  }

 private:
  MetricRegistry& registry_;
  const int task_;
};

namespace {

std::string describe(std::string_view name, const MetricLabels& labels) {
  std::string out(name);
  if (labels.empty()) return out;
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + labels[i].second + '"';
  }
  return out + '}';
}

}  // namespace

MetricRegistry::MetricRegistry(std::size_t max_series) : max_series_(max_series) {}

MetricRegistry::~MetricRegistry() = default;

std::vector<std::string> MetricRegistry::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

MetricGroup& MetricRegistry::group(int task) {
  std::lock_guard lock(mu_);
  auto& g = groups_[task];
  if (!g) g = std::make_unique<TaskGroup>(*this, task);
  return *g;
}

MetricRegistry::Entry* MetricRegistry::find_or_add(int task, std::string_view name,
                                                   metrics::Kind kind, MetricLabels labels,
                                                   const std::vector<double>* bounds,
                                                   GaugeCombine combine) {
  if (auto ok = metrics::check_name(name); !ok) throw std::invalid_argument(ok.error().message);
  if (auto ok = metrics::check_labels(labels); !ok)
    throw std::invalid_argument(ok.error().message + " (metric '" + std::string(name) + "')");
  if (bounds)
    if (auto ok = metrics::check_bounds(*bounds); !ok)
      throw std::invalid_argument(ok.error().message + " (histogram '" + std::string(name) + "')");
  // Each part with its length before it: no label value can make two series one key.
  std::string key =
      std::to_string(task) + ':' + std::to_string(name.size()) + ':' + std::string(name);
  for (const auto& [k, v] : labels)
    key += std::to_string(k.size()) + ':' + k + std::to_string(v.size()) + ':' + v;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    Entry& e = it->second;
    if (e.kind != kind)
      throw std::invalid_argument("metric '" + std::string(name) + "' is already a " +
                                  std::string(metrics::to_string(e.kind)));
    if (bounds && e.histogram->bounds() != *bounds)
      throw std::invalid_argument("histogram '" + std::string(name) +
                                  "' is already registered with other bounds");
    if (e.combine != combine)
      throw std::invalid_argument("gauge '" + std::string(name) +
                                  "' is already registered with the other GaugeCombine");
    return &e;
  }
  for (const auto& [k, e] : entries_)
    if (e.name == name &&
        (e.kind != kind || (bounds && e.histogram->bounds() != *bounds) || e.combine != combine))
      throw std::invalid_argument("metric '" + std::string(name) + "' is already a " +
                                  std::string(metrics::to_string(e.kind)) +
                                  (e.kind != kind         ? ""
                                   : e.combine != combine ? " with the other GaugeCombine"
                                                          : " with other bounds"));
  std::size_t& used = per_task_[task];
  if (used >= max_series_) {
    if (used++ == max_series_)  // once per task
      errors_.push_back("task " + std::to_string(task) + " registered more than " +
                        std::to_string(max_series_) +
                        " metric series (topology.metrics.max.series); " + describe(name, labels) +
                        " and later ones are not reported");
    return nullptr;
  }
  ++used;
  Entry e;
  e.task = task;
  e.name = std::string(name);
  e.kind = kind;
  e.combine = combine;
  e.labels = std::move(labels);
  switch (kind) {
    case metrics::Kind::counter:
      e.counter = std::make_unique<Counter>();
      break;
    case metrics::Kind::gauge:
      e.gauge = std::make_unique<Gauge>();
      break;
    case metrics::Kind::histogram:
      e.histogram = std::make_unique<Histogram>(*bounds);
      break;
  }
  return &entries_.emplace(std::move(key), std::move(e)).first->second;
}

void MetricRegistry::collect(std::vector<metrics::Series>& into) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, e] : entries_) {
    metrics::Series s;
    s.name = e.name;
    s.kind = e.kind;
    s.labels = e.labels;
    switch (e.kind) {
      case metrics::Kind::counter:
        s.value = static_cast<double>(e.counter->value());
        break;
      case metrics::Kind::gauge:
        s.value = e.gauge->value();
        s.combine = e.combine;
        s.updated_ms = e.gauge->updated_ms();
        break;
      case metrics::Kind::histogram:
        s.bounds = e.histogram->bounds();
        s.buckets = e.histogram->buckets();
        s.sum = e.histogram->sum();
        break;
    }
    (void)metrics::merge(into, s);  // kinds and bounds agree: checked at registration
  }
}

}  // namespace gale::runtime
