// The chaos suite (docs/RELIABILITY.md; scripts/chaos.sh runs the full schedule): the cluster on
// hosts of its own (MultiHost), running the ledger topology (a durable per-id source: every id
// must be acked at least once, none missing) and sms-notify from Kafka through Redis to the fake
// SMS gateway (every qualifying change must get exactly one SMS), while faults are applied one
// after another: workers killed with SIGKILL, a supervisor killed, Nimbus killed and restarted,
// the whole ZooKeeper ensemble restarted, a supervisor's host cut off and healed, a worker
// frozen with SIGSTOP. For each fault it prints the time to recover the full rate, the ids
// re-emitted, the ids emitted before it and still unacked at the end of its window, and the SMS
// sent twice (must be 0); at the end, the ids and SMS lost (must be 0).
//
// Chaos.ShortSchedule (each fault once, short windows) is in the default test run.
// Chaos.FullSchedule runs only with GALE_CHAOS=full (scripts/chaos.sh): workers killed every
// 5-10 s for a minute, a 30 s partition, longer windows. GALE_CHAOS_REPORT=<file> also writes
// the table there.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "gale/events/generator.h"
#include "gale/redis/client.h"
#include "gale/testing/fake_gateway_process.h"
#include "gale/testing/kafka_dev_broker.h"
#include "gale/testing/redis_server.h"
#include "multihost_fixture.h"

namespace gale::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kLedgerRate = 300;         // ids a second
constexpr int kChangeRate = 100;         // account changes a second
constexpr int kMessageTimeoutSecs = 10;  // both topologies
constexpr int kAccounts = 200;
constexpr int kSeed = 23;

// What is measured at one moment.
struct Sample {
  Clock::time_point at;
  std::size_t acked = 0;      // ledger ids acked at least once
  std::int64_t replays = 0;   // ledger ids emitted again, over every spout life
  std::int64_t highest = -1;  // highest ledger id emitted
  std::uint64_t sms_received = 0;
  std::uint64_t sms_distinct = 0;
};

struct Fault {
  std::string name;
  std::function<void()> inject;  // returns once the fault is over (a host healed, a process back)
};

struct Row {
  std::string fault;
  double recovery_secs = 0;
  double min_rate = 0;  // the slowest 1 s of ledger acks in the window, ids/s
  std::int64_t re_emitted = 0;
  std::int64_t unacked = 0;
  std::int64_t sms_duplicated = 0;
};

class Chaos : public MultiHost {
 protected:
  std::unique_ptr<RedisServer> redis_server;
  std::unique_ptr<KafkaDevBroker> broker;
  std::unique_ptr<FakeGatewayProcess> gateway;
  std::unique_ptr<ChildProcess> producer;
  std::set<std::string> qualifying;  // event ids that must get one SMS
  std::mt19937 random{kSeed};
  std::int64_t ledger_ids = 0;
  std::vector<Row> rows;

  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const char* mode = std::getenv("GALE_CHAOS");
    if (test == "FullSchedule" && (mode == nullptr || std::string(mode) != "full"))
      GTEST_SKIP() << "the full schedule runs with GALE_CHAOS=full (scripts/chaos.sh)";
    slots_per_supervisor = 3;  // four workers in all: a lost host's work has somewhere to go
    MultiHost::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The SMS path's servers, on the client host's loopback (this thread is there), shared
    // with the supervisors' hosts through the lab's relays.
    redis_server = std::make_unique<RedisServer>();
    broker = std::make_unique<KafkaDevBroker>(kBin, dir / "logs",
                                              std::vector<std::string>{"account-changes:2"});
    gateway = std::make_unique<FakeGatewayProcess>();
    const int kafka_port =
        std::stoi(broker->bootstrap().substr(broker->bootstrap().rfind(':') + 1));
    for (int port : {redis_server->port(), kafka_port, gateway->port()})
      lab->share("client", port, (dir / "logs").string());
  }

  void TearDown() override {
    if (!lab) return;  // skipped
    producer.reset();
    MultiHost::TearDown();  // the workers first: then nothing uses the servers
    gateway.reset();
    broker.reset();
    redis_server.reset();
  }

  // Customer profiles in Redis and the set of changes that must get an SMS.
  void prepare_sms(int changes) {
    redis::ConnectionOptions options;
    options.port = redis_server->port();
    redis::RedisClient redis(options);
    events::GeneratorOptions generator;
    generator.seed = kSeed;
    generator.accounts = kAccounts;
    std::map<std::string, events::CustomerProfile> profiles;
    for (const auto& p : events::customer_profiles(generator)) {
      profiles[p.customer] = p;
      ASSERT_TRUE(redis.command({"HSET", "customer:" + p.customer, "phone", p.phone, "name", p.name,
                                 "language", p.language, "notify_threshold_minor",
                                 std::to_string(p.notify_threshold_minor), "opted_in",
                                 p.opted_in ? "true" : "false"}));
    }
    events::AccountChangeGenerator generate(generator);
    for (int i = 0; i < changes; ++i) {
      auto c = generate.next();
      const auto& p = profiles.at(c.customer);
      if (p.opted_in && c.amount_minor >= p.notify_threshold_minor) qualifying.insert(c.event_id);
    }
  }

  void submit_sms_notify() {
    auto r =
        gale({"submit", std::string(GALE_TOPOLOGY_DIR) + "/sms_notify.so",
              "--name", "sms",
              "-c",     "topology.workers=2",
              "-c",     "sms.source=kafka",
              "-c",     "kafka.topics=account-changes",
              "-c",     "kafka.bootstrap.servers=" + broker->bootstrap(),
              "-c",     "kafka.group.id=sms-chaos",
              "-c",     "kafka.consumer.session.timeout.ms=6000",
              "-c",     "redis.host=127.0.0.1",
              "-c",     "redis.port=" + std::to_string(redis_server->port()),
              "-c",     "sms.gateway.url=" + gateway->url(),
              "-c",     "sms.claim.lease.ms=3000",
              "-c",     "topology.message.timeout.secs=" + std::to_string(kMessageTimeoutSecs)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(eventually([&] { return workers(topology_id("sms")) == 2; }));
  }

  Sample sample() {
    Sample s;
    s.at = Clock::now();
    s.acked = ledger_acked_ids(dir / "ledger").size();
    for (const auto& life : spout_lives(dir / "ledger")) {
      s.replays += life.replays;
      s.highest = std::max(s.highest, life.highest);
    }
    auto reply = gateway->get("/stats");
    if (reply.status == 200) {
      auto stats = nlohmann::json::parse(reply.body, nullptr, false);
      if (!stats.is_discarded()) {
        s.sms_received = stats.value("received", std::uint64_t{0});
        s.sms_distinct = stats.value("distinct_references", std::uint64_t{0});
      }
    }
    return s;
  }

  // Every worker process of the cluster.
  std::vector<pid_t> all_workers() {
    auto r = run_command(
        {"/usr/bin/pgrep", "-f", "--", "gale-worker run .*--supervisor-id " + supervisor_id("")});
    std::vector<pid_t> pids;
    std::istringstream in(r.output);
    for (pid_t pid; in >> pid;) pids.push_back(pid);
    return pids;
  }
  pid_t random_worker() {
    auto pids = all_workers();
    if (pids.empty()) return 0;
    return pids[std::uniform_int_distribution<std::size_t>(0, pids.size() - 1)(random)];
  }

  // The schedule; `full` is scripts/chaos.sh's.
  std::vector<Fault> schedule(bool full) {
    std::vector<Fault> faults;
    faults.push_back(
        {full ? "worker kill -9 every 5-10 s for 60 s" : "worker kill -9", [this, full] {
           const auto until = Clock::now() + (full ? 60s : 0s);
           do {
             if (pid_t pid = random_worker(); pid > 0) ::kill(pid, SIGKILL);
             if (full)
               std::this_thread::sleep_for(
                   std::chrono::seconds(std::uniform_int_distribution<int>(5, 10)(random)));
           } while (Clock::now() < until);
         }});
    faults.push_back({"supervisor kill -9, back after 5 s", [this] {
                        supervisors[1]->stop(SIGKILL);
                        std::this_thread::sleep_for(5s);
                        start_supervisor(1);
                      }});
    faults.push_back({"nimbus kill -9, back after 3 s", [this] {
                        nimbus->stop(SIGKILL);
                        std::this_thread::sleep_for(3s);
                        start_nimbus();
                      }});
    faults.push_back({"zookeeper ensemble restart (all 3)", [this] {
                        for (auto& member : ensemble) member->stop();
                        std::this_thread::sleep_for(3s);
                        for (auto& member : ensemble) member->start();
                      }});
    faults.push_back(
        {full ? "partition: sup0's host cut off 30 s" : "partition: sup0's host cut off 10 s",
         [this, full] {
           lab->cut("sup0");
           std::this_thread::sleep_for(full ? 30s : 10s);
           lab->heal("sup0");
         }});
    faults.push_back({"worker SIGSTOP 8 s (2 task timeouts)", [this] {
                        pid_t pid = random_worker();
                        if (pid <= 0) return;
                        ::kill(pid, SIGSTOP);
                        std::this_thread::sleep_for(8s);
                        ::kill(pid, SIGCONT);
                      }});
    return faults;
  }

  // Applies `fault`, then watches for `settle` more; one row of the table.
  Row run_fault(const Fault& fault, std::chrono::seconds settle) {
    Row row{fault.name};
    const Sample before = sample();
    std::vector<Sample> samples{before};
    fault.inject();
    const auto until = Clock::now() + settle;
    while (Clock::now() < until) {
      std::this_thread::sleep_for(250ms);
      samples.push_back(sample());
    }
    const Sample& after = samples.back();
    // Recovery: from the fault until the last 1 s window slower than 90 % of the ids' rate.
    // The fault's own duration (a partition's 30 s) counts: the rate is down while it lasts.
    Clock::time_point last_slow = before.at;
    row.min_rate = -1;
    for (std::size_t i = 1, j = 0; i < samples.size(); ++i) {
      // j: the latest sample at least a second before i.
      while (j + 1 < i && samples[i].at - samples[j + 1].at >= 1s) ++j;
      const auto span = std::chrono::duration<double>(samples[i].at - samples[j].at).count();
      if (span < 1.0) continue;
      const double rate = static_cast<double>(samples[i].acked - samples[j].acked) / span;
      if (row.min_rate < 0 || rate < row.min_rate) row.min_rate = rate;
      if (rate < 0.9 * kLedgerRate) last_slow = samples[i].at;
    }
    row.recovery_secs = std::chrono::duration<double>(last_slow - before.at).count();
    row.re_emitted = after.replays - before.replays;
    const auto acked = ledger_acked_ids(dir / "ledger");
    for (std::int64_t id = 0; id <= before.highest; ++id)
      if (!acked.contains(id)) ++row.unacked;
    row.sms_duplicated = static_cast<std::int64_t>(after.sms_received - before.sms_received) -
                         static_cast<std::int64_t>(after.sms_distinct - before.sms_distinct);
    return row;
  }

  std::string table() const {
    std::ostringstream out;
    char line[256];
    std::snprintf(line, sizeof line, "%-40s %10s %9s %10s %8s %8s\n", "fault", "recovery_s",
                  "min_rate", "re-emitted", "unacked", "sms_dup");
    out << line;
    for (const auto& r : rows) {
      std::snprintf(line, sizeof line, "%-40s %10.1f %9.0f %10lld %8lld %8lld\n", r.fault.c_str(),
                    r.recovery_secs, r.min_rate, static_cast<long long>(r.re_emitted),
                    static_cast<long long>(r.unacked), static_cast<long long>(r.sms_duplicated));
      out << line;
    }
    return out.str();
  }

  void run_schedule(bool full) {
    const auto settle = full ? 20s : 12s;
    auto faults = schedule(full);
    // Long enough for both streams to outlast the schedule.
    const std::int64_t secs =
        20 + static_cast<std::int64_t>(faults.size()) * (settle.count() + 10) + (full ? 90 : 0);
    ledger_ids = secs * kLedgerRate;
    const int changes = static_cast<int>(secs * kChangeRate);
    prepare_sms(changes);
    ASSERT_GT(qualifying.size(), 100u);
    const std::string ledger_id =
        submit_ledger(static_cast<int>(ledger_ids), kLedgerRate, kMessageTimeoutSecs);
    ASSERT_FALSE(ledger_id.empty());
    submit_sms_notify();
    if (HasFatalFailure()) return;
    producer = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBin + "/gale-gen", "account-changes", "--count",
                                 std::to_string(changes), "--accounts", std::to_string(kAccounts),
                                 "--seed", std::to_string(kSeed), "--rate",
                                 std::to_string(kChangeRate), "--brokers", broker->bootstrap(),
                                 "--topic", "account-changes"},
        (dir / "logs" / "gale-gen.log").string());
    std::this_thread::sleep_for(5s);  // the rates settle

    for (const auto& fault : faults) rows.push_back(run_fault(fault, settle));

    // The end: every id acked, every qualifying change sent once.
    EXPECT_TRUE(eventually(
        [&] {
          return ledger_acked_ids(dir / "ledger").size() == static_cast<std::size_t>(ledger_ids);
        },
        240s));
    EXPECT_TRUE(eventually([&] { return sample().sms_distinct >= qualifying.size(); }, 120s));
    std::this_thread::sleep_for(4s);  // past the claim lease: a late duplicate would show now
    const Sample end = sample();
    std::ostringstream summary;
    summary << table() << "ids " << ledger_ids << ", acked " << end.acked << ", lost "
            << ledger_ids - static_cast<std::int64_t>(end.acked) << ", re-emitted in all "
            << end.replays << "\n"
            << "SMS: qualifying changes " << qualifying.size() << ", sent " << end.sms_received
            << ", duplicated " << end.sms_received - end.sms_distinct << ", missing "
            << static_cast<std::int64_t>(qualifying.size()) -
                   static_cast<std::int64_t>(end.sms_distinct)
            << "\n";
    std::fputs(summary.str().c_str(), stdout);
    std::fflush(stdout);
    if (const char* report = std::getenv("GALE_CHAOS_REPORT"))
      std::ofstream(report) << summary.str();

    EXPECT_EQ(end.acked, static_cast<std::size_t>(ledger_ids)) << "ids lost";
    EXPECT_EQ(end.sms_received, end.sms_distinct) << "an SMS was sent twice";
    EXPECT_EQ(end.sms_distinct, qualifying.size()) << "an SMS is missing";
    // Per fault, only duplicates fail the test: ids still unacked at the end of a window show a
    // recovery slower than the window (a loaded machine), and are counted as lost only if they
    // are still missing at the end.
    for (const auto& r : rows) EXPECT_EQ(r.sms_duplicated, 0) << r.fault << ": SMS sent twice";
  }
};

TEST_F(Chaos, ShortSchedule) {
  run_schedule(false);
}

TEST_F(Chaos, FullSchedule) {
  run_schedule(true);
}

}  // namespace
}  // namespace gale::testing
