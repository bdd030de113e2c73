#pragma once
// The artifacts directory, <storm.local.dir>/artifacts/<sha256>.so: each submitted .so stored
// once under its content's SHA-256, so that a restarted Nimbus serves the same files.
// Thread-safe: a file appears complete or not at all (written aside, then renamed).
#include <filesystem>
#include <memory>
#include <string>

#include "gale/nimbus/errors.h"

namespace gale::nimbus {

// A submitted .so written aside for inspection: removed on destruction unless committed.
class StagedArtifact {
 public:
  StagedArtifact(std::filesystem::path staged, std::filesystem::path target, std::string sha256)
      : staged_(std::move(staged)), target_(std::move(target)), sha256_(std::move(sha256)) {}
  ~StagedArtifact();
  StagedArtifact(const StagedArtifact&) = delete;
  StagedArtifact& operator=(const StagedArtifact&) = delete;

  const std::filesystem::path& path() const { return staged_; }
  const std::string& sha256() const { return sha256_; }
  // Moves the file to its place in the store (an identical file may already be there).
  Status commit();

 private:
  std::filesystem::path staged_;
  std::filesystem::path target_;
  std::string sha256_;
  bool committed_ = false;
};

class ArtifactStore {
 public:
  explicit ArtifactStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Writes `bytes` aside under a fresh name. internal on I/O failure.
  Result<std::unique_ptr<StagedArtifact>> stage(const std::string& bytes);
  // The file of an artifact; not_found if absent or `sha256` is not 64 lower-case hex digits.
  Result<std::filesystem::path> path(const std::string& sha256) const;
  Result<std::string> read(const std::string& sha256) const;

 private:
  std::filesystem::path file(const std::string& sha256) const;
  std::filesystem::path dir_;
};

}  // namespace gale::nimbus
