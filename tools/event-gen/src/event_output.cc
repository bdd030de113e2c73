#include "event_output.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kafka_producer.h"
#include "redis_profiles.h"

namespace gale::eventgen {

namespace {

// One event as written: its Kafka key, its JSON line and, for transactions, manifest lines.
struct Line {
  std::string key;
  std::string json;
  std::vector<std::string> manifest;
};

using Source = std::function<std::optional<Line>()>;

Source source_for(const Request& r) {
  switch (r.kind) {
    case EventKind::transactions: {
      auto generator = std::make_shared<events::TransactionGenerator>(r.generator);
      return [generator, left = r.count]() mutable -> std::optional<Line> {
        if (left-- <= 0) return std::nullopt;
        events::GeneratedTransaction g = generator->next();
        Line line{g.transaction.account, events::to_json(g.transaction), {}};
        for (const events::ExpectedAlert& a : g.expected_alerts)
          line.manifest.push_back(events::manifest_line(a, g.transaction));
        return line;
      };
    }
    case EventKind::account_changes: {
      auto generator = std::make_shared<events::AccountChangeGenerator>(r.generator);
      return [generator, left = r.count]() mutable -> std::optional<Line> {
        if (left-- <= 0) return std::nullopt;
        events::AccountChange c = generator->next();
        return Line{c.account, events::to_json(c), {}};
      };
    }
    case EventKind::core_banking: {
      auto generator = std::make_shared<events::CoreBankingGenerator>(r.core_banking, r.cdc_format);
      return [generator, left = r.count]() mutable -> std::optional<Line> {
        if (left-- <= 0) return std::nullopt;
        events::CdcRecord record = generator->next();
        Line line{std::move(record.key), std::move(record.value), {}};
        if (left == 0) line.manifest.push_back(generator->manifest().to_json());  // the last
        return line;
      };
    }
    case EventKind::profiles: {
      auto profiles = std::make_shared<std::vector<events::CustomerProfile>>(
          events::customer_profiles(r.generator));
      return [profiles, next = std::size_t{0}]() mutable -> std::optional<Line> {
        if (next >= profiles->size()) return std::nullopt;
        const events::CustomerProfile& p = (*profiles)[next++];
        return Line{p.customer, events::to_json(p), {}};
      };
    }
  }
  return {};
}

// A file or stdout, written line by line.
class LineFile {
 public:
  LineFile(const std::string& path, const char* flag) : path_(path), flag_(flag) {
    if (path == "-") {
      file_ = stdout;
      return;
    }
    file_ = std::fopen(path.c_str(), "w");
    if (!file_)
      throw std::runtime_error(
          fmt::format("{}: cannot write '{}': {}", flag, path, std::strerror(errno)));
  }
  ~LineFile() {
    if (file_ && file_ != stdout) std::fclose(file_);
  }
  LineFile(const LineFile&) = delete;
  LineFile& operator=(const LineFile&) = delete;

  void write(const std::string& line) {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
        std::fputc('\n', file_) == EOF)
      fail();
  }
  void close() {
    bool ok = std::fflush(file_) == 0;
    if (file_ != stdout) ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (!ok) fail();
  }

 private:
  [[noreturn]] void fail() const {
    throw std::runtime_error(
        fmt::format("{}: writing '{}' failed: {}", flag_, path_, std::strerror(errno)));
  }
  std::string path_;
  const char* flag_;
  std::FILE* file_ = nullptr;
};

// Holds to `rate` lines per second on average, from the first line on.
class Pace {
 public:
  explicit Pace(double rate) : rate_(rate), start_(std::chrono::steady_clock::now()) {}
  void wait_for_line(std::int64_t n) const {
    if (rate_ <= 0) return;
    std::this_thread::sleep_until(
        start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(n) / rate_)));
  }

 private:
  double rate_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

Summary write_events(const Request& r) {
  std::optional<LineFile> out;
  if (!r.out.empty()) out.emplace(r.out, "--out");
  std::optional<LineFile> manifest;
  if (!r.expected.empty()) manifest.emplace(r.expected, "--expected");
  std::optional<KafkaProducer> kafka;
  if (!r.brokers.empty()) kafka.emplace(r.brokers, r.topic);
  Summary summary;
  if (r.redis)
    summary.loaded_into_redis = load_profiles(*r.redis, events::customer_profiles(r.generator));
  if (!out && !kafka) return summary;  // Redis alone: no lines to write or pace

  Source next = source_for(r);
  // Malformed lines come from their own random stream: the valid lines stay the same whatever
  // the share.
  events::MalformedLines malformed(r.generator.seed);
  Pace pace(r.rate);
  std::int64_t lines = 0;
  auto emit = [&](const std::string& key, const std::string& json) {
    pace.wait_for_line(lines++);
    if (out) out->write(json);
    if (kafka) kafka->send(key, json);
  };
  while (std::optional<Line> line = next()) {
    for (int n = malformed.how_many_before(r.malformed); n > 0; --n, ++summary.malformed_lines)
      emit(line->key, malformed.corrupt(line->json));
    emit(line->key, line->json);
    ++summary.events;
    for (const std::string& m : line->manifest) {
      if (manifest) manifest->write(m);
      ++summary.expected_alerts;
    }
  }
  if (out) out->close();
  if (manifest) manifest->close();
  if (kafka) kafka->flush();
  return summary;
}

}  // namespace gale::eventgen
