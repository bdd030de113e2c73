#include "gale/metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace gale {

namespace {

void add_to(std::atomic<double>& target, double d) {
  double seen = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(seen, seen + d, std::memory_order_relaxed)) {
  }
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Gauge::set(double v) {
  if (!std::isfinite(v)) return;
  value_.store(v, std::memory_order_relaxed);
  updated_ms_.store(now_ms(), std::memory_order_relaxed);
}

void Gauge::add(double d) {
  if (!std::isfinite(d)) return;
  add_to(value_, d);
  updated_ms_.store(now_ms(), std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  if (!std::isfinite(v)) return;
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  add_to(sum_, v);
}

std::vector<std::uint64_t> Histogram::buckets() const {
  std::vector<std::uint64_t> out;
  out.reserve(counts_.size());
  for (const auto& c : counts_) out.push_back(c.load(std::memory_order_relaxed));
  return out;
}

}  // namespace gale
