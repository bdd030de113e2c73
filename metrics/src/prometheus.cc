#include "gale/metrics/prometheus.h"

#include <fmt/format.h>

#include <cmath>

namespace gale::metrics {

namespace {

std::string_view type_name(Exposition::Type type) {
  switch (type) {
    case Exposition::Type::counter:
      return "counter";
    case Exposition::Type::gauge:
      return "gauge";
    case Exposition::Type::histogram:
      return "histogram";
  }
  return "untyped";
}

// Label values escape \, " and newline; HELP text escapes \ and newline.
void escape_to(std::string& out, std::string_view s, bool quotes) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

void sample_to(std::string& out, std::string_view name, const MetricLabels& labels,
               const std::pair<std::string_view, std::string>* extra, double value) {
  out += name;
  if (!labels.empty() || extra) {
    out += '{';
    bool first = true;
    auto label = [&](std::string_view k, std::string_view v) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      escape_to(out, v, true);
      out += '"';
    };
    for (const auto& [k, v] : labels) label(k, v);
    if (extra) label(extra->first, extra->second);
    out += '}';
  }
  out += ' ';
  out += number(value);
  out += '\n';
}

}  // namespace

Exposition::Family* Exposition::family(std::string_view name, Type type, std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    order_.emplace_back(name);
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  }
  return it->second.type == type ? &it->second : nullptr;
}

void Exposition::add(std::string_view name, Type type, std::string_view help,
                     const MetricLabels& labels, double value) {
  if (Family* f = family(name, type, help)) sample_to(f->samples, name, labels, nullptr, value);
}

void Exposition::add_histogram(std::string_view name, std::string_view help,
                               const MetricLabels& labels, const std::vector<double>& bounds,
                               const std::vector<std::uint64_t>& buckets, double sum) {
  Family* f = family(name, Type::histogram, help);
  if (!f) return;
  std::string& out = f->samples;
  std::string bucket_name = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    std::pair<std::string_view, std::string> le{"le",
                                                i < bounds.size() ? number(bounds[i]) : "+Inf"};
    sample_to(out, bucket_name, labels, &le, static_cast<double>(cumulative));
  }
  sample_to(out, std::string(name) + "_sum", labels, nullptr, sum);
  sample_to(out, std::string(name) + "_count", labels, nullptr, static_cast<double>(cumulative));
}

void Exposition::add_series(const Series& s, const MetricLabels& labels) {
  MetricLabels all = labels;
  all.insert(all.end(), s.labels.begin(), s.labels.end());
  std::string name = "gale_app_" + s.name;
  std::string help = "A topology's own " + std::string(to_string(s.kind)) + " '" + s.name + "'";
  switch (s.kind) {
    case Kind::counter:
      add(name + "_total", Type::counter, help, all, s.value);
      break;
    case Kind::gauge:
      add(name, Type::gauge, help, all, s.value);
      break;
    case Kind::histogram:
      add_histogram(name, help, all, s.bounds, s.buckets, s.sum);
      break;
  }
}

std::string Exposition::text() const {
  std::string out;
  for (const auto& name : order_) {
    const Family& f = families_.find(name)->second;
    out += "# HELP ";
    out += name;
    out += ' ';
    escape_to(out, f.help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    out += f.samples;
  }
  return out;
}

}  // namespace gale::metrics
