#pragma once
// BlobSync: keeps a worker's blobs folder (topology.blobs.dir) in step with the topology's
// blobs in ZooKeeper. A changed blob is written beside its file and renamed over it, so a
// component reading the file sees the old bytes or the new, never a mix.
//
// Thread: the worker's polling thread only.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "errc.h"
#include "gale/common/result.h"
#include "gale/coordination/cluster_state.h"

namespace gale::worker {

class BlobSync {
 public:
  BlobSync(coordination::ClusterState& state, std::string topology_id, std::filesystem::path dir)
      : state_(state), topology_id_(std::move(topology_id)), dir_(std::move(dir)) {}

  // Writes every blob that is new or whose version changed since the last call. Returns ok or
  // an error (WorkerErrc) saying what went wrong (the next call tries again).
  Status sync();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  coordination::ClusterState& state_;
  std::string topology_id_;
  std::filesystem::path dir_;
  std::map<std::string, std::int32_t> versions_;  // key -> version written
};

}  // namespace gale::worker
