#pragma once
// ArtifactStore: the topology artifacts (.so) of one supervisor, under
// <storm.local.dir>/artifacts/<sha256>.so, each verified against the sha256 it is named by.
//
// Not thread-safe: one thread (the supervisor's sync thread) uses it. ensure() may block for a
// download, bounded by the fetcher's timeout.
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "gale/common/sha256.h"
#include "gale/supervisor/errc.h"

namespace gale::supervisor {

class ArtifactStore {
 public:
  // Writes the artifact named `sha256` (as delivered, unverified) to `destination`.
  using Fetcher =
      std::function<Status(std::string_view sha256, const std::filesystem::path& destination)>;

  ArtifactStore(std::filesystem::path dir, Fetcher fetch);

  // The path of the artifact, fetched first if it is not here yet. Refuses (and deletes)
  // bytes whose sha256 differs: checksum_mismatch. bad_setting for a name that is not 64
  // lower-case hex digits; download_failed / io_error from the fetcher or the disk.
  Result<std::filesystem::path> ensure(std::string_view sha256);

  std::filesystem::path path_of(std::string_view sha256) const;

 private:
  Status verify(const std::filesystem::path& file, std::string_view sha256) const;

  std::filesystem::path dir_;
  Fetcher fetch_;
  std::set<std::string, std::less<>> verified_;  // checked since this process started
};

// The lower-case hex sha256 of a file's bytes (common's sha256_hex_of_file); io_error if it
// cannot be read.
Result<std::string> sha256_of_file(const std::filesystem::path& file);

// True for 64 lower-case hex digits (common's).
using gale::is_sha256_hex;

}  // namespace gale::supervisor
