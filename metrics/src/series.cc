#include "gale/metrics/series.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "gale/common/errc.h"

namespace gale::metrics {

namespace {

using nlohmann::json;

Error malformed(std::string message) {
  return make_error(CommonErrc::malformed, std::move(message));
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Labels every exported series gets from Gale, and Prometheus's own.
constexpr std::array<std::string_view, 6> kReservedLabels = {"topology", "component", "task",
                                                             "worker",   "le",        "quantile"};
// Prometheus adds these to a family's name; a metric ending in one would read as a part of
// another.
constexpr std::array<std::string_view, 4> kReservedSuffixes = {"_total", "_bucket", "_sum",
                                                               "_count"};

}  // namespace

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::counter:
      return "counter";
    case Kind::gauge:
      return "gauge";
    case Kind::histogram:
      return "histogram";
  }
  return "counter";
}

std::uint64_t Series::count() const {
  std::uint64_t n = 0;
  for (auto b : buckets) n += b;
  return n;
}

double quantile(const std::vector<double>& bounds, const std::vector<std::uint64_t>& buckets,
                double q) {
  std::uint64_t total = 0;
  for (auto b : buckets) total += b;
  if (total == 0 || bounds.empty()) return 0;
  double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double below = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    double in = static_cast<double>(buckets[i]);
    if (below + in >= rank && in > 0) {
      if (i == bounds.size()) return bounds.back();  // above every bound
      double lo = i == 0 ? std::min(0.0, bounds[0]) : bounds[i - 1];
      return lo + (bounds[i] - lo) * (rank - below) / in;
    }
    below += in;
  }
  return bounds.back();
}

Status check_name(std::string_view name) {
  if (name.size() > kMaxMetricNameLength || !is_identifier(name))
    return malformed("metric name '" + std::string(name) + "' must be 1 to " +
                     std::to_string(kMaxMetricNameLength) +
                     " characters of a-z, 0-9 and _, not starting with a digit");
  for (auto suffix : kReservedSuffixes)
    if (name.ends_with(suffix))
      return malformed("metric name '" + std::string(name) + "' ends with '" + std::string(suffix) +
                       "', which Prometheus's names add themselves");
  return {};
}

Status check_labels(MetricLabels& labels) {
  if (labels.size() > kMaxMetricLabels)
    return malformed("a metric has at most " + std::to_string(kMaxMetricLabels) + " labels, got " +
                     std::to_string(labels.size()));
  std::sort(labels.begin(), labels.end());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& [name, value] = labels[i];
    if (name.size() > kMaxMetricNameLength || !is_identifier(name) || name.starts_with("__"))
      return malformed("metric label '" + name +
                       "' must be a-z, 0-9 and _, not starting with a digit or __");
    if (std::find(kReservedLabels.begin(), kReservedLabels.end(), name) != kReservedLabels.end())
      return malformed("metric label '" + name + "' is Gale's own");
    if (i > 0 && labels[i - 1].first == name)
      return malformed("metric label '" + name + "' is given twice");
    if (value.size() > kMaxMetricLabelValue)
      return malformed("the value of metric label '" + name + "' is over " +
                       std::to_string(kMaxMetricLabelValue) + " bytes");
  }
  return {};
}

Status check_bounds(const std::vector<double>& bounds) {
  if (bounds.empty() || bounds.size() > kMaxHistogramBounds)
    return malformed("a histogram has 1 to " + std::to_string(kMaxHistogramBounds) +
                     " bucket bounds, got " + std::to_string(bounds.size()));
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]))
      return malformed("histogram bound " + std::to_string(i) + " is not a finite number");
    if (i > 0 && bounds[i] <= bounds[i - 1])
      return malformed("histogram bounds must ascend: " + std::to_string(bounds[i]) + " follows " +
                       std::to_string(bounds[i - 1]));
  }
  return {};
}

Status merge(std::vector<Series>& into, const Series& s) {
  auto it = std::find_if(into.begin(), into.end(),
                         [&](const Series& x) { return x.name == s.name && x.labels == s.labels; });
  if (it == into.end()) {
    auto same_name =
        std::find_if(into.begin(), into.end(), [&](const Series& x) { return x.name == s.name; });
    if (same_name != into.end() && same_name->kind != s.kind)
      return malformed("metric '" + s.name + "' is a " + std::string(to_string(s.kind)) +
                       " here and a " + std::string(to_string(same_name->kind)) + " elsewhere");
    into.push_back(s);
    return {};
  }
  if (it->kind != s.kind)
    return malformed("metric '" + s.name + "' is a " + std::string(to_string(s.kind)) +
                     " here and a " + std::string(to_string(it->kind)) + " elsewhere");
  if (it->combine != s.combine)
    return malformed("gauge '" + s.name +
                     "' is combined by sum in one place and latest in another");
  if (s.kind == Kind::gauge && s.combine == GaugeCombine::latest) {
    if (s.updated_ms > it->updated_ms) {
      it->value = s.value;
      it->updated_ms = s.updated_ms;
    }
    return {};
  }
  if (s.kind == Kind::histogram) {
    if (it->bounds != s.bounds)
      return malformed("histogram '" + s.name + "' has other bucket bounds elsewhere");
    for (std::size_t i = 0; i < s.buckets.size() && i < it->buckets.size(); ++i)
      it->buckets[i] += s.buckets[i];
    it->sum += s.sum;
    return {};
  }
  it->value += s.value;
  return {};
}

json to_json(const Series& s) {
  json labels = json::object();
  for (const auto& [k, v] : s.labels) labels[k] = v;
  json out{{"name", s.name}, {"kind", to_string(s.kind)}, {"labels", labels}};
  if (s.kind == Kind::histogram) {
    out["bounds"] = s.bounds;
    out["buckets"] = s.buckets;
    out["sum"] = s.sum;
  } else {
    out["value"] = s.value;
  }
  if (s.kind == Kind::gauge) {
    out["combine"] = s.combine == GaugeCombine::latest ? "latest" : "sum";
    out["updated_ms"] = s.updated_ms;
  }
  return out;
}

json to_json(const std::vector<Series>& series) {
  json out = json::array();
  for (const auto& s : series) out.push_back(to_json(s));
  return out;
}

Result<Series> series_from_json(const json& j) {
  if (!j.is_object()) return malformed("a metric series is not a JSON object");
  Series s;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return malformed("a metric series has no name");
  s.name = name->get<std::string>();
  if (auto ok = check_name(s.name); !ok) return ok.error();
  auto kind_field = j.find("kind");
  std::string kind =
      kind_field != j.end() && kind_field->is_string() ? kind_field->get<std::string>() : "";
  if (kind == "counter")
    s.kind = Kind::counter;
  else if (kind == "gauge")
    s.kind = Kind::gauge;
  else if (kind == "histogram")
    s.kind = Kind::histogram;
  else
    return malformed("metric '" + s.name + "' has kind '" + kind + "'");
  if (auto labels = j.find("labels"); labels != j.end()) {
    if (!labels->is_object()) return malformed("the labels of metric '" + s.name + "'");
    for (const auto& [k, v] : labels->items()) {
      if (!v.is_string()) return malformed("label '" + k + "' of metric '" + s.name + "'");
      s.labels.emplace_back(k, v.get<std::string>());
    }
    if (auto ok = check_labels(s.labels); !ok) return ok.error();
  }
  if (s.kind != Kind::histogram) {
    auto value = j.find("value");
    if (value == j.end() || !value->is_number())
      return malformed("metric '" + s.name + "' has no number 'value'");
    s.value = value->get<double>();
    if (s.kind == Kind::gauge) {
      auto field = j.find("combine");
      std::string combine =
          field != j.end() && field->is_string() ? field->get<std::string>() : "sum";
      if (combine != "sum" && combine != "latest")
        return malformed("gauge '" + s.name + "' has combine '" + combine + "'");
      s.combine = combine == "latest" ? GaugeCombine::latest : GaugeCombine::sum;
      auto updated = j.find("updated_ms");
      s.updated_ms =
          updated != j.end() && updated->is_number_integer() ? updated->get<std::int64_t>() : 0;
    }
    return s;
  }
  auto bounds = j.find("bounds");
  auto buckets = j.find("buckets");
  if (bounds == j.end() || !bounds->is_array() || buckets == j.end() || !buckets->is_array())
    return malformed("histogram '" + s.name + "' has no bounds and buckets");
  for (const auto& b : *bounds) {
    if (!b.is_number()) return malformed("a bound of histogram '" + s.name + "'");
    s.bounds.push_back(b.get<double>());
  }
  if (auto ok = check_bounds(s.bounds); !ok) return ok.error();
  for (const auto& b : *buckets) {
    if (!b.is_number_unsigned() && !(b.is_number_integer() && b.get<std::int64_t>() >= 0))
      return malformed("a bucket of histogram '" + s.name + "'");
    s.buckets.push_back(b.get<std::uint64_t>());
  }
  if (s.buckets.size() != s.bounds.size() + 1)
    return malformed("histogram '" + s.name + "' has " + std::to_string(s.buckets.size()) +
                     " buckets for " + std::to_string(s.bounds.size()) + " bounds");
  auto sum = j.find("sum");
  s.sum = sum != j.end() && sum->is_number() ? sum->get<double>() : 0.0;
  return s;
}

}  // namespace gale::metrics
