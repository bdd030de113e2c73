#pragma once
// One HTTP/1.1 GET whose body is written to a file (Boost.Beast), for artifact downloads from
// Nimbus. Blocks the calling thread; any thread may call it (each call has its own I/O context).
#include <chrono>
#include <filesystem>
#include <string>

#include "gale/supervisor/errc.h"

namespace gale::supervisor {

struct HttpEndpoint {
  std::string host;  // name or address
  int port = 0;
};

// GET `target` from `endpoint` into `destination` (replaced). The whole exchange (resolve,
// connect, request, response) must finish within `timeout`. download_failed naming the URL and
// the problem (connection refused, timeout, HTTP status other than 200, body over 1 GiB);
// io_error if `destination` cannot be written.
Status http_download(const HttpEndpoint& endpoint, const std::string& target,
                     const std::filesystem::path& destination, std::chrono::milliseconds timeout);

}  // namespace gale::supervisor
