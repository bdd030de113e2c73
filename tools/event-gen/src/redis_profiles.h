#pragma once
// gale-gen's Redis output: customer profiles as the hashes the sms-notify topology reads
// (customer:<id> with phone, name, language, notify_threshold_minor, opted_in).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gale/events/events.h"
#include "gale/redis/options.h"

namespace gale::eventgen {

// "host:port" (an IPv6 host in brackets, "[::1]:6379") as connection options; nullopt when
// the text is not of that form or the port is not 1..65535.
std::optional<redis::ConnectionOptions> parse_redis_address(const std::string& text);

// HSETs every profile, pipelined in batches, replacing the five fields of hashes already
// there; other keys (customers of a larger earlier population too) are left alone. Returns
// how many were loaded. Throws std::runtime_error naming the server and the cause when Redis
// cannot be reached, breaks off (with how many were loaded before) or refuses a command.
std::int64_t load_profiles(const redis::ConnectionOptions& server,
                           const std::vector<events::CustomerProfile>& profiles);

}  // namespace gale::eventgen
