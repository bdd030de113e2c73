#include "gale/nimbus/inspector.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "child_process.h"
#include "gale/settings.h"

namespace gale::nimbus {

std::vector<coordination::Executor> TopologyLayout::executors() const {
  std::vector<coordination::Executor> all;
  for (const auto& component : components)
    all.insert(all.end(), component.executors.begin(), component.executors.end());
  return all;
}

nlohmann::json TopologyLayout::graph() const {
  nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
  for (const auto& c : components) {
    if (c.kind != "spout" && c.kind != "bolt") continue;
    nodes.push_back({{"id", c.id}, {"kind", c.kind}});
    for (const auto& o : c.outputs)
      edges.push_back(
          {{"from", c.id}, {"stream", o["stream"]}, {"to", o["to"]}, {"grouping", o["grouping"]}});
  }
  return {{"components", nodes}, {"edges", edges}};
}

Result<TopologyLayout> parse_layout(const std::string& text) {
  try {
    auto json = nlohmann::json::parse(text);
    TopologyLayout layout;
    layout.name = json.at("name").get<std::string>();
    layout.tasks = json.at("tasks").get<int>();
    for (const auto& c : json.at("components")) {
      ComponentLayout component;
      component.id = c.at("id").get<std::string>();
      component.kind = c.at("kind").get<std::string>();
      component.tasks = c.at("tasks").get<std::vector<int>>();
      for (const auto& range : c.at("executors")) {
        auto bounds = range.get<std::vector<int>>();
        if (bounds.size() < 2 || bounds.size() > 3 || bounds[0] > bounds[1])
          throw std::invalid_argument("executor of '" + component.id +
                                      "' is not [first, last] or [first, last, chained to]");
        component.executors.push_back({bounds[0], bounds[1], bounds.size() > 2 ? bounds[2] : 0});
      }
      if (auto outputs = c.find("outputs"); outputs != c.end() && outputs->is_array())
        for (const auto& o : *outputs)
          component.outputs.push_back({{"stream", o.at("stream").get<std::string>()},
                                       {"to", o.at("to").get<std::string>()},
                                       {"grouping", o.at("grouping").get<std::string>()}});
      layout.components.push_back(std::move(component));
    }
    // Printed by the topology's own code: checked again here, as build() checks them.
    if (auto changeable = json.find("changeable"); changeable != json.end())
      layout.changeable = changeable->get<std::vector<std::string>>();
    if (layout.changeable.size() > kMaxChangeable)
      throw std::invalid_argument("more than " + std::to_string(kMaxChangeable) +
                                  " changeable keys");
    for (const auto& key : layout.changeable)
      if (auto problem = check_changeable_key(key); !problem.empty())
        throw std::invalid_argument(problem);
    return layout;
  } catch (const std::exception& e) {
    return make_error(NimbusErrc::internal,
                      std::string("gale-worker inspect printed malformed output: ") + e.what());
  }
}

namespace {

std::vector<std::string> inspect_argv(const std::filesystem::path& binary,
                                      const InspectRequest& request) {
  std::vector<std::string> argv{binary.string(), "inspect", request.artifact.string()};
  for (const auto& [key, value] : request.config) {
    argv.push_back("-c");
    argv.push_back(key + "=" + value);
  }
  for (const auto& [component, executors] : request.executor_overrides) {
    argv.push_back("-e");
    argv.push_back(component + "=" + std::to_string(executors));
  }
  return argv;
}

// The last non-empty line of the inspector's stderr: its message naming the problem.
std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  auto newline = text.rfind('\n', end);
  auto start = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(start, end + 1 - start);
}

// What an inspection's environment holds: nothing of Nimbus's own (no token, no credentials),
// only what a program needs to start, and `folder` as its temporary folder.
std::vector<std::string> inspect_environment(const std::filesystem::path& folder) {
  return {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TMPDIR=" + folder.string()};
}

// A fresh folder for one inspection, in the system's temporary folder, removed with this
// object: inspect makes its copy of the library there, and a copy left behind by an inspection
// killed at its timeout goes with it. Others may pass through it (the sandbox's user reaches its
// copy) but not list it.
class InspectionFolder {
 public:
  static Result<InspectionFolder> make() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gale-inspection-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      return make_error(NimbusErrc::internal, "cannot make a folder for the inspection in " +
                                                  std::filesystem::temp_directory_path().string() +
                                                  ": " + std::strerror(errno));
    std::error_code ec;
    std::filesystem::permissions(pattern,
                                 std::filesystem::perms::owner_all |
                                     std::filesystem::perms::group_exec |
                                     std::filesystem::perms::others_exec,
                                 ec);
    return InspectionFolder(pattern);
  }
  InspectionFolder(InspectionFolder&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  InspectionFolder& operator=(InspectionFolder&&) = delete;
  ~InspectionFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit InspectionFolder(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

Error refusal(const ChildOutput& output, std::chrono::milliseconds timeout) {
  if (output.timed_out)
    return make_error(NimbusErrc::bad_request, "inspecting the topology took longer than " +
                                                   std::to_string(timeout.count() / 1000) + " s");
  if (output.signal != 0)
    return make_error(NimbusErrc::bad_request,
                      "the topology crashed its inspection (signal " +
                          std::to_string(output.signal) + ")" +
                          (output.err.empty() ? "" : ": " + last_line(output.err)));
  std::string line = last_line(output.err);
  return make_error(NimbusErrc::bad_request,
                    line.empty()
                        ? "gale-worker inspect exited with code " + std::to_string(output.exit_code)
                        : line);
}

}  // namespace

Inspector process_inspector(std::filesystem::path worker_binary,
                            std::chrono::milliseconds timeout) {
  return [binary = std::move(worker_binary),
          timeout](const InspectRequest& request) -> Result<TopologyLayout> {
    auto folder = InspectionFolder::make();
    if (!folder) return folder.error();
    auto output =
        run_child(inspect_argv(binary, request), timeout, inspect_environment(folder->path()));
    if (!output) return output.error();
    if (output->exit_code != 0) return refusal(*output, timeout);
    return parse_layout(output->out);
  };
}

}  // namespace gale::nimbus
