#include "artifact_store.h"

#include <array>
#include <fstream>
#include <memory>

namespace gale::supervisor {
namespace {

Error io_error(const std::filesystem::path& file, std::string_view what) {
  return make_error(SupervisorErrc::io_error, std::string(what) + " " + file.string());
}

}  // namespace

Result<std::string> sha256_of_file(const std::filesystem::path& file) {
  try {
    return sha256_hex_of_file(file);
  } catch (const std::runtime_error& e) {
    return make_error(SupervisorErrc::io_error, e.what());
  }
}

ArtifactStore::ArtifactStore(std::filesystem::path dir, Fetcher fetch)
    : dir_(std::move(dir)), fetch_(std::move(fetch)) {}

std::filesystem::path ArtifactStore::path_of(std::string_view sha256) const {
  return dir_ / (std::string(sha256) + ".so");
}

Status ArtifactStore::verify(const std::filesystem::path& file, std::string_view sha256) const {
  auto actual = sha256_of_file(file);
  if (!actual) return actual.error();
  if (*actual == sha256) return {};
  return make_error(
      SupervisorErrc::checksum_mismatch,
      "artifact " + std::string(sha256) + " refused: its bytes have sha256 " + *actual);
}

Result<std::filesystem::path> ArtifactStore::ensure(std::string_view sha256) {
  if (!is_sha256_hex(sha256)) {
    return make_error(SupervisorErrc::bad_setting, "artifact name '" + std::string(sha256) +
                                                       "' is not a sha256 (64 hex digits)");
  }
  const auto final_path = path_of(sha256);
  if (verified_.contains(sha256)) return final_path;
  std::error_code ec;
  if (std::filesystem::exists(final_path, ec) && verify(final_path, sha256)) {
    verified_.emplace(sha256);
    return final_path;
  }
  std::filesystem::create_directories(dir_, ec);
  const auto partial = dir_ / (std::string(sha256) + ".download");
  Status fetched = fetch_(sha256, partial);
  if (fetched) fetched = verify(partial, sha256);
  if (!fetched) {
    std::filesystem::remove(partial, ec);
    return fetched.error();
  }
  // rename() replaces a bad file left at final_path at once, so a worker never sees half a file.
  std::filesystem::rename(partial, final_path, ec);
  if (ec) return io_error(final_path, "cannot rename the download to");
  verified_.emplace(sha256);
  return final_path;
}

}  // namespace gale::supervisor
