#include "liveness.h"

namespace gale::nimbus {

bool Liveness::silent(const std::string& key, std::optional<std::int64_t> token, std::int64_t now) {
  auto [it, first_look] = seen_.try_emplace(key, Seen{token, now, true});
  Seen& seen = it->second;
  seen.looked_at = true;
  if (first_look) return false;
  if (token && token != seen.token) {
    seen.token = token;
    seen.since = now;
    return false;
  }
  return now - seen.since > timeout_secs_;
}

void Liveness::end_round() {
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (!it->second.looked_at) {
      it = seen_.erase(it);
    } else {
      it->second.looked_at = false;
      ++it;
    }
  }
}

}  // namespace gale::nimbus
