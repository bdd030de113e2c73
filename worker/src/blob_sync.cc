#include "blob_sync.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <system_error>

namespace gale::worker {

Status BlobSync::sync() {
  auto keys = state_.blob_keys(topology_id_);
  if (!keys)
    return make_error(WorkerErrc::zookeeper,
                      "blobs of " + topology_id_ + ": " + keys.error().message);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return make_error(WorkerErrc::io_error, "blobs folder " + dir_.string() + ": " + ec.message());
  for (const auto& key : *keys) {
    auto blob = state_.blob(topology_id_, key);
    if (!blob)
      return make_error(WorkerErrc::zookeeper, "blob " + key + ": " + blob.error().message);
    if (!blob->has_value()) continue;  // removed meanwhile
    auto known = versions_.find(key);
    if (known != versions_.end() && known->second == (*blob)->version) continue;
    const auto target = dir_ / key;
    const auto temporary = dir_ / ("." + key + ".new");
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << (*blob)->data;
      if (!out.flush())
        return make_error(WorkerErrc::io_error, "cannot write " + temporary.string());
    }
    std::filesystem::rename(temporary, target, ec);
    if (ec)
      return make_error(WorkerErrc::io_error,
                        "cannot replace " + target.string() + ": " + ec.message());
    versions_[key] = (*blob)->version;
    spdlog::info("blob {} version {} ({} bytes) written to {}", key, (*blob)->version,
                 (*blob)->data.size(), target.string());
  }
  return {};
}

}  // namespace gale::worker
