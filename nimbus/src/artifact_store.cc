#include "artifact_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>

#include "gale/common/sha256.h"

namespace gale::nimbus {

namespace fs = std::filesystem;

fs::path ArtifactStore::file(const std::string& sha256) const {
  return dir_ / (sha256 + ".so");
}

StagedArtifact::~StagedArtifact() {
  std::error_code ignored;
  if (!committed_) fs::remove(staged_, ignored);
}

Status StagedArtifact::commit() {
  std::error_code ec;
  fs::rename(staged_, target_, ec);
  if (ec)
    return make_error(NimbusErrc::internal,
                      "cannot store " + target_.string() + ": " + ec.message());
  committed_ = true;
  return {};
}

Result<std::unique_ptr<StagedArtifact>> ArtifactStore::stage(const std::string& bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    return make_error(NimbusErrc::internal, "cannot create " + dir_.string() + ": " + ec.message());
  static std::atomic<unsigned> next{0};
  fs::path staged = dir_ / ("staged-" + std::to_string(::getpid()) + "-" +
                            std::to_string(next.fetch_add(1)) + ".so");
  std::ofstream out(staged, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::string sha = sha256_hex(bytes);
  auto artifact = std::make_unique<StagedArtifact>(staged, file(sha), sha);
  if (!out.flush()) return make_error(NimbusErrc::internal, "cannot write " + staged.string());
  return artifact;
}

Result<fs::path> ArtifactStore::path(const std::string& sha256) const {
  std::error_code ec;
  if (!is_sha256_hex(sha256) || !fs::is_regular_file(file(sha256), ec))
    return make_error(NimbusErrc::not_found, "no artifact '" + sha256 + "'");
  return file(sha256);
}

Result<std::string> ArtifactStore::read(const std::string& sha256) const {
  auto found = path(sha256);
  if (!found) return found.error();
  std::ifstream in(*found, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return make_error(NimbusErrc::internal, "cannot read " + found->string());
  return bytes.str();
}

}  // namespace gale::nimbus
