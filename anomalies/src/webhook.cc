#include "gale/anomalies/webhook.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "gale/common/errc.h"

namespace gale::anomalies {

namespace {

constexpr std::size_t kMaxQueued = 1000;

Error bad(const std::string& url, const std::string& why) {
  return make_error(CommonErrc::bad_setting, "nimbus.anomaly.webhook.url '" + url + "': " + why);
}

}  // namespace

nlohmann::json to_json(const Anomaly& a) {
  return {{"id", a.id},
          {"rule", a.rule},
          {"severity", a.severity},
          {"topology", a.topology},
          {"component", a.component},
          {"worker", a.worker},
          {"message", a.message},
          {"figure", a.figure},
          {"value", a.value},
          {"threshold", a.threshold},
          {"raised_secs", a.raised_secs},
          {"cleared_secs", a.cleared_secs ? nlohmann::json(*a.cleared_secs) : nlohmann::json()}};
}

Result<std::unique_ptr<Webhook>> Webhook::start(const std::string& url,
                                                const std::filesystem::path& ca_file,
                                                const std::string& token) {
  nimbus::NimbusEndpoint endpoint;
  std::string_view rest = url;
  bool https = rest.starts_with("https://");
  if (!https && !rest.starts_with("http://"))
    return bad(url, "must start with http:// or https://");
  rest.remove_prefix(https ? 8 : 7);
  auto slash = rest.find('/');
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view authority = rest.substr(0, slash);
  auto colon = authority.rfind(':');
  if (authority.empty() || colon == 0) return bad(url, "has no host");
  endpoint.host = std::string(authority.substr(0, colon));
  endpoint.port = https ? 443 : 80;
  if (colon != std::string_view::npos) {
    auto digits = authority.substr(colon + 1);
    int port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port < 1 || port > 65535)
      return bad(url, "the port must be 1 to 65535");
    endpoint.port = port;
  }
  if (endpoint.host.find_first_of(" /?#@") != std::string::npos)
    return bad(url, "the host '" + endpoint.host + "' is not a host name or address");
  if (https) {
    if (ca_file.empty())
      return bad(url, "https needs nimbus.anomaly.webhook.ca.file to verify the receiver");
    endpoint.ca_file = ca_file;
  } else if (!token.empty()) {
    return bad(url, "a token (nimbus.anomaly.webhook.token.file) is sent only over https");
  }
  endpoint.token = token;
  endpoint.timeout = std::chrono::seconds(5);
  std::unique_ptr<Webhook> hook(new Webhook(std::move(endpoint), std::move(path)));
  hook->thread_ = std::thread([h = hook.get()] { h->run(); });
  return hook;
}

Webhook::Webhook(nimbus::NimbusEndpoint endpoint, std::string path)
    : endpoint_(std::move(endpoint)), path_(std::move(path)) {}

Webhook::~Webhook() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Webhook::send(const std::string& event, const Anomaly& a) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= kMaxQueued) {
    spdlog::warn("anomaly webhook: {} waiting, the oldest dropped (it stays in the log)",
                 queue_.size());
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(nlohmann::json{{"event", event}, {"anomaly", to_json(a)}}.dump());
  cv_.notify_all();
}

std::uint64_t Webhook::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

std::uint64_t Webhook::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void Webhook::run() {
  nimbus::NimbusClient client(endpoint_);
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    // Taken off the queue while it is sent: an overflow meanwhile drops a waiting one.
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::string problem;
    bool ok = false;
    for (int attempt = 0; attempt < 3 && !ok; ++attempt) {
      if (attempt > 0) {
        std::unique_lock wait(mu_);
        if (cv_.wait_for(wait, std::chrono::seconds(attempt), [&] { return stopping_; })) return;
      }
      auto reply = client.request("POST", path_, body);
      ok = reply && reply->status / 100 == 2;
      problem = reply ? "answered " + std::to_string(reply->status) : reply.error().message;
    }
    if (!ok)
      spdlog::warn("anomaly webhook {}:{}{}: {}; dropped after 3 tries (it stays in the log): {}",
                   endpoint_.host, endpoint_.port, path_, problem, body.substr(0, 300));
    lock.lock();
    ++(ok ? delivered_ : dropped_);
  }
}

}  // namespace gale::anomalies
