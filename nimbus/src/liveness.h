#pragma once
// Liveness: which workers and supervisors Nimbus may judge dead, by what Nimbus itself has seen
// on its own clock, never by comparing another machine's clock with its own.
//
// A key (a worker's slot, a supervisor) is silent when, for longer than the timeout, every time
// Nimbus looked it showed the same token (a heartbeat's time) or none (no heartbeat, no
// registration). Watching starts the first time Nimbus looks at a key, and starts again for
// every key after lose_sight(): Nimbus calls it whenever it may have missed signs of life (it
// could not read ZooKeeper, its session was interrupted, it has just become the leader), so
// that after a ZooKeeper outage every worker gets a full timeout from the moment Nimbus can see
// again, whatever the order in which Nimbus and the workers reconnect.
//
// Threading: not thread-safe; the monitor owns it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace gale::nimbus {

class Liveness {
 public:
  explicit Liveness(std::int64_t timeout_secs) : timeout_secs_(timeout_secs) {}

  // Forgets everything seen: each key is watched afresh from its next observation.
  void lose_sight() { seen_.clear(); }

  // Looks at `key` at `now` (seconds, Nimbus's clock) showing `token` (nullopt: no sign of
  // life). True if the key has shown no new token for longer than the timeout.
  bool silent(const std::string& key, std::optional<std::int64_t> token, std::int64_t now);

  // Forgets the keys not looked at since the last call (topologies and slots that are gone).
  void end_round();

 private:
  struct Seen {
    std::optional<std::int64_t> token;
    std::int64_t since = 0;  // when the token was first seen, or watching began
    bool looked_at = true;
  };
  std::int64_t timeout_secs_;
  std::map<std::string, Seen> seen_;
};

}  // namespace gale::nimbus
