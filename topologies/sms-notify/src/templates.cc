#include "gale/notify/templates.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <fstream>
#include <sstream>

namespace gale::notify {
namespace {

constexpr std::array<std::string_view, 8> kPlaceholders = {
    "name", "account", "amount", "currency", "kind", "balance", "description", "time"};

// The first placeholder of `text` that is not known, or "" if all are; unbalanced braces too.
std::string unknown_placeholder(std::string_view text) {
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    auto close = text.find('}', open);
    if (close == std::string_view::npos) return "an unclosed '{'";
    auto name = text.substr(open + 1, close - open - 1);
    bool known = false;
    for (auto p : kPlaceholders) known = known || p == name;
    if (!known) return "unknown placeholder {" + std::string(name) + "}";
  }
  return {};
}

Error failed(std::string error) {
  return make_error(NotifyErrc::bad_templates, std::move(error));
}

}  // namespace

std::string format_amount(std::int64_t minor) {
  std::string sign = minor < 0 ? "-" : "";
  std::uint64_t abs =
      minor < 0 ? static_cast<std::uint64_t>(-(minor + 1)) + 1 : static_cast<std::uint64_t>(minor);
  std::string cents = std::to_string(abs % 100);
  if (cents.size() == 1) cents = "0" + cents;
  return sign + std::to_string(abs / 100) + "." + cents;
}

Result<std::shared_ptr<const Templates>> Templates::load(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return make_error(NotifyErrc::not_yaml, std::string("not YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["templates"] || !root["templates"].IsMap())
    return failed("missing 'templates': a map of language: text");
  auto templates = std::make_shared<Templates>();
  try {
    for (const auto& entry : root["templates"]) {
      std::string language = entry.first.as<std::string>();
      std::string text = entry.second.as<std::string>();
      if (auto bad = unknown_placeholder(text); !bad.empty())
        return failed("templates." + language + ": " + bad);
      auto kinds = root["kinds"] ? root["kinds"][language] : YAML::Node();
      if (!kinds || !kinds["debit"] || !kinds["credit"])
        return failed("kinds." + language + ": missing the words for debit and credit");
      templates->languages_[language] = {text, kinds["debit"].as<std::string>(),
                                         kinds["credit"].as<std::string>()};
    }
    templates->fallback_ = root["fallback"] ? root["fallback"].as<std::string>() : "en";
  } catch (const YAML::Exception& e) {
    return failed(std::string("templates: expected text: ") + e.what());
  }
  if (!templates->languages_.count(templates->fallback_))
    return failed("fallback: no template for '" + templates->fallback_ + "'");
  return std::shared_ptr<const Templates>(std::move(templates));
}

Result<std::shared_ptr<const Templates>> Templates::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(NotifyErrc::unreadable, path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  auto loaded = load(text.str());
  if (!loaded) return Error{loaded.error().code, path + ": " + loaded.error().message};
  return loaded;
}

std::string Templates::render(const events::AccountChange& change,
                              const events::CustomerProfile& profile) const {
  auto it = languages_.find(profile.language);
  const Language& l = it != languages_.end() ? it->second : languages_.at(fallback_);
  std::string time = events::format_timestamp(change.ts_ms).substr(11, 5) + " UTC";
  auto value_of = [&](std::string_view name) -> std::string {
    if (name == "name") return profile.name;
    if (name == "account") return change.account;
    if (name == "amount") return format_amount(change.amount_minor);
    if (name == "currency") return change.currency;
    if (name == "kind") return change.kind == "credit" ? l.credit : l.debit;
    if (name == "balance") return format_amount(change.balance_after_minor);
    if (name == "description") return change.description;
    return time;
  };
  std::string out;
  std::string_view text = l.text;
  std::size_t from = 0;
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', from)) {
    auto close = text.find('}', open);
    out.append(text.substr(from, open - from));
    out.append(value_of(text.substr(open + 1, close - open - 1)));
    from = close + 1;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace gale::notify
