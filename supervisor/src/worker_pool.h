#pragma once
// WorkerPool: runs one gale-worker process per assigned slot and keeps it running.
//
// Rules (see README.md): a slot that is assigned gets a worker at once; a worker that dies while
// its slot is still assigned to the same topology is restarted at once, after a small backoff
// only when it keeps dying within a second of its start; a worker whose slot is no longer
// assigned to it (unassigned, or assigned to another topology) gets SIGTERM, then SIGKILL after
// the grace period, and the slot's new worker starts once the old one is gone.
//
// Threads: one thread owned by the pool runs every process operation; it sleeps in poll() on
// the workers' exit descriptors (pidfds), so it learns of a death at once. Public methods are
// thread-safe and never block on a worker, except stop() and the destructor.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "process.h"
#include "unique_fd.h"

namespace gale::supervisor {

// What one slot should run.
struct WorkerAssignment {
  std::string topology_id;
  std::filesystem::path artifact;  // the verified .so
  // The topology's own ZooKeeper identity ("user:password"; TopologyCredentials), empty for a
  // topology without one (its workers then get WorkerCommand::cluster_zookeeper_auth).
  std::string zookeeper_auth{};
  bool operator==(const WorkerAssignment&) const = default;
};

using DesiredWorkers = std::map<int, WorkerAssignment>;  // by slot port

// How a worker is started (CLUSTER.md, `gale-worker run`):
//   <worker_bin> run --topology-id ID --supervisor-id SID --host HOST --port PORT
//                --artifact PATH [-c key=value ...]
// with stdout and stderr appended to <log_dir>/<topology-id>-<port>.log. The worker gets no
// secret of its supervisor: not its config file (only the settings below), not its token
// (GALE_TOKEN is taken out of the environment), and as its ZooKeeper identity the topology's
// own in GALE_ZOOKEEPER_AUTH (never on the command line, which every local user can read).
// The environment variable a worker finds its ZooKeeper identity in.
inline const std::string kZooKeeperAuthVariable = "GALE_ZOOKEEPER_AUTH";

struct WorkerCommand {
  std::filesystem::path worker_bin;
  std::string supervisor_id;
  std::string host;
  std::vector<std::string> settings;  // "key=value", each passed as -c
  std::filesystem::path log_dir;
  // For a topology without an identity of its own: the cluster's (empty: none).
  std::string cluster_zookeeper_auth{};
  // supervisor.worker.user: the user workers run as (nothing: the supervisor's); each worker's
  // blob folder, <blobs_dir>/<topology-id>-<port>, is made that user's.
  std::optional<SpawnOptions::User> user{};
  std::filesystem::path blobs_dir{};

  LaunchSpec spec(int port, const WorkerAssignment& assignment) const;
};

struct WorkerExit {
  int port = 0;
  std::string topology_id;
  int wait_status = 0;
};

class WorkerPool {
 public:
  // Runs on the pool's thread after a worker exited (and was reaped); must not call the pool.
  using ExitListener = std::function<void(const WorkerExit&)>;

  // Borrows `launcher`, which must outlive the pool. Starts the pool's thread.
  WorkerPool(ProcessLauncher& launcher, WorkerCommand command, std::chrono::milliseconds kill_grace,
             ExitListener on_exit = {});
  // stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Replaces the whole desired state; the pool's thread acts on it at once.
  void set_desired(DesiredWorkers desired);

  // The pid of each slot's current worker process (including one being terminated).
  std::map<int, pid_t> running() const;

  // Terminates every worker (SIGTERM, SIGKILL after the grace), waits for them and joins the
  // thread. Idempotent; blocks up to about the grace period.
  void stop();

  // Delay before restarting a worker that died within a second of its start `quick_deaths`
  // times in a row: none for the first, then 0.5 s doubling up to 5 s.
  static std::chrono::milliseconds restart_backoff(int quick_deaths);

 private:
  using Clock = std::chrono::steady_clock;

  // Pool-thread state of one port.
  struct Slot {
    std::unique_ptr<ChildProcess> process;  // empty while no worker runs
    WorkerAssignment assignment;            // what the process runs, or last tried to run
    Clock::time_point started;
    std::optional<Clock::time_point> kill_at;  // set when SIGTERM was sent
    bool killed = false;                       // SIGKILL sent
    int quick_deaths = 0;
    Clock::time_point earliest_start;  // restart backoff
  };

  void run();
  void wait_for_events(const DesiredWorkers& desired);
  std::vector<WorkerExit> reap_exited();
  void reconcile(const DesiredWorkers& desired);
  void start(int port, Slot& slot, const WorkerAssignment& wanted);
  void terminate(int port, Slot& slot);
  std::optional<Clock::time_point> next_deadline(const DesiredWorkers& desired) const;
  void publish_pids();
  void wake();

  ProcessLauncher& launcher_;
  const WorkerCommand command_;
  const std::chrono::milliseconds kill_grace_;
  const ExitListener on_exit_;
  std::map<int, Slot> slots_;  // pool thread only

  mutable std::mutex mutex_;  // guards the three below
  DesiredWorkers desired_;
  bool stopping_ = false;
  std::map<int, pid_t> pids_;

  UniqueFd wake_fd_;    // eventfd: set_desired / stop -> pool thread
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace gale::supervisor
