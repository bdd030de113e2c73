#include "gale/risk/rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "lua_conditions.h"

namespace gale::risk {
namespace {

// Half the Earth's circumference: no two points are farther apart.
constexpr double max_distance_km = 20'037.5;
constexpr std::int64_t ms_per_hour = 3'600'000;

// Thrown inside the loader only, caught by load_rules and turned into a RiskErrc::bad_rules Error.
struct LoadError {
  std::string message;
};

[[noreturn]] void fail(std::string message) {
  throw LoadError{std::move(message)};
}

// One rule's node, and the words every error about it starts with.
class RuleNode {
 public:
  RuleNode(const YAML::Node& node, std::size_t index) : node_(node), index_(index) {}

  void set_id(std::string id) { id_ = std::move(id); }

  [[noreturn]] void fail_field(std::string_view field, std::string_view problem) const {
    std::string where = "rule #" + std::to_string(index_ + 1);
    if (!id_.empty()) where += " '" + id_ + "'";
    fail(where + ", field '" + std::string(field) + "': " + std::string(problem));
  }

  bool has(const char* field) const { return static_cast<bool>(node_[field]); }

  std::string scalar(const char* field) const {
    const YAML::Node value = node_[field];
    if (!value) fail_field(field, "missing");
    if (!value.IsScalar()) fail_field(field, "must be a single value");
    return value.Scalar();
  }

  // One of `choices`, mapped to its value.
  template <typename T>
  T choice(const char* field, std::initializer_list<std::pair<std::string_view, T>> choices) const {
    const std::string value = scalar(field);
    std::string names;
    for (const auto& [name, result] : choices) {
      if (value == name) return result;
      names += names.empty() ? "" : "|";
      names += name;
    }
    fail_field(field, "\"" + value + "\" is not one of " + names);
  }

  std::int64_t positive_integer(const char* field) const {
    const std::string text = scalar(field);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
      fail_field(field, "\"" + text + "\" is not a positive whole number");
    }
    return value;
  }

  double positive_number(const char* field) const {
    const std::string text = scalar(field);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value > 0) ||
        !std::isfinite(value)) {
      fail_field(field, "\"" + text + "\" is not a positive number");
    }
    return value;
  }

  // "60s", "15m", "24h", "7d".
  std::int64_t duration_ms(const char* field) const {
    const std::string text = scalar(field);
    std::int64_t count = 0;
    const char* const last = text.data() + text.size();
    const auto [end, ec] = std::from_chars(text.data(), last, count);
    const std::int64_t unit_ms = end + 1 == last ? unit_of(*end) : 0;
    if (ec != std::errc() || count < 1 || unit_ms == 0 || count > INT64_MAX / unit_ms) {
      fail_field(field, "\"" + text +
                            "\" is not a duration (a positive number with s, m, h or "
                            "d, e.g. 60s, 15m, 24h)");
    }
    return count * unit_ms;
  }

  // "HH:MM" as minutes after midnight.
  int minute_of_day(const char* field) const {
    const std::string text = scalar(field);
    int hour = -1;
    int minute = -1;
    const bool shaped =
        text.size() == 5 && text[2] == ':' &&
        std::from_chars(text.data(), text.data() + 2, hour).ptr == text.data() + 2 &&
        std::from_chars(text.data() + 3, text.data() + 5, minute).ptr == text.data() + 5;
    if (!shaped || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
      fail_field(field, "\"" + text + "\" is not a time of day HH:MM (00:00 to 23:59)");
    }
    return hour * 60 + minute;
  }

  // Every field of the rule must be one its kind uses: a misspelt field would otherwise be
  // silently ignored and the rule would not do what the analyst meant.
  void check_fields(std::initializer_list<std::string_view> kind_fields) const {
    for (const auto& entry : node_) {
      const std::string field = entry.first.as<std::string>("");
      const bool common = field == "id" || field == "kind" || field == "severity" ||
                          field == "when" || field == "time_zone";
      const bool known =
          common || std::find(kind_fields.begin(), kind_fields.end(), field) != kind_fields.end();
      if (!known) fail_field(field, "not a field of this kind of rule");
    }
  }

 private:
  static std::int64_t unit_of(char unit) {
    switch (unit) {
      case 's':
        return 1000;
      case 'm':
        return 60 * 1000;
      case 'h':
        return ms_per_hour;
      case 'd':
        return 24 * ms_per_hour;
      default:
        return 0;
    }
  }

  YAML::Node node_;
  std::size_t index_;
  std::string id_;
};

std::vector<WatchList> parse_lists(const YAML::Node& node) {
  std::vector<WatchList> lists;
  if (!node) return lists;
  if (!node.IsMap()) fail("lists: must be a map of list name to a sequence of values");
  for (const auto& entry : node) {
    WatchList list;
    list.name = entry.first.as<std::string>("");
    if (!entry.second.IsSequence()) {
      fail("list '" + list.name + "': must be a sequence of values, e.g. [a, b]");
    }
    for (const auto& value : entry.second) {
      if (!value.IsScalar()) fail("list '" + list.name + "': every value must be a single value");
      list.values.push_back(value.Scalar());
    }
    std::sort(list.values.begin(), list.values.end());
    list.values.erase(std::unique(list.values.begin(), list.values.end()), list.values.end());
    lists.push_back(std::move(list));
  }
  return lists;
}

std::size_t list_index(const RuleNode& node, const std::vector<WatchList>& lists) {
  const std::string name = node.scalar("list");
  for (std::size_t i = 0; i < lists.size(); ++i) {
    if (lists[i].name == name) return i;
  }
  node.fail_field("list", "no list named \"" + name + "\" under lists:");
}

void parse_kind_fields(const RuleNode& node, Rule& rule, const std::vector<WatchList>& lists) {
  switch (rule.kind) {
    case RuleKind::threshold:
      node.check_fields({});
      if (!node.has("when")) node.fail_field("when", "missing (a threshold rule is its condition)");
      return;
    case RuleKind::velocity:
      node.check_fields({"key", "window", "count"});
      rule.key =
          node.choice<KeyField>("key", {{"card", KeyField::card}, {"account", KeyField::account}});
      rule.window_ms = node.duration_ms("window");
      rule.count = node.positive_integer("count");
      return;
    case RuleKind::cumulative: {
      node.check_fields({"key", "window", "limit"});
      rule.key =
          node.choice<KeyField>("key", {{"account", KeyField::account}, {"card", KeyField::card}});
      rule.window_ms = node.duration_ms("window");
      const double limit = node.positive_number("limit");
      if (limit > 1e15) node.fail_field("limit", "too large");
      rule.limit_minor = std::llround(limit * 100);
      if (std::abs(rule.limit_minor - limit * 100) > 1e-6 * std::max(1.0, limit * 100)) {
        node.fail_field("limit",
                        "has more than two decimals (it is in major units, e.g. 50000.50)");
      }
      return;
    }
    case RuleKind::time_of_day:
      node.check_fields({"from", "to"});
      rule.from_minute = node.minute_of_day("from");
      rule.to_minute = node.minute_of_day("to");
      if (rule.from_minute == rule.to_minute)
        node.fail_field("to", "equals from: the time span is empty");
      return;
    case RuleKind::impossible_travel:
      node.check_fields({"key", "max_speed_kmh"});
      rule.key =
          node.choice<KeyField>("key", {{"card", KeyField::card}, {"account", KeyField::account}});
      rule.max_speed_kmh = node.positive_number("max_speed_kmh");
      return;
    case RuleKind::list:
      node.check_fields({"field", "list"});
      rule.field = node.choice<ListField>("field", {{"device", ListField::device},
                                                    {"counterparty", ListField::counterparty},
                                                    {"merchant", ListField::counterparty},
                                                    {"account", ListField::account},
                                                    {"card", ListField::card},
                                                    {"customer", ListField::customer},
                                                    {"city", ListField::city},
                                                    {"currency", ListField::currency},
                                                    {"channel", ListField::channel}});
      rule.list_index = list_index(node, lists);
      return;
    case RuleKind::first_time_payee:
      node.check_fields({});
      return;
  }
}

std::string unknown_zone(const std::string& name) {
  return "unknown time zone \"" + name + "\" (an IANA name such as Asia/Shanghai, or UTC)";
}

Rule parse_rule(RuleNode& node, const std::vector<WatchList>& lists, LuaConditions& lua,
                const TimeZone& set_zone) {
  Rule rule;
  rule.id = node.scalar("id");
  if (rule.id.empty()) node.fail_field("id", "empty");
  node.set_id(rule.id);
  rule.kind = node.choice<RuleKind>("kind", {{"threshold", RuleKind::threshold},
                                             {"velocity", RuleKind::velocity},
                                             {"cumulative", RuleKind::cumulative},
                                             {"time_of_day", RuleKind::time_of_day},
                                             {"impossible_travel", RuleKind::impossible_travel},
                                             {"list", RuleKind::list},
                                             {"first_time_payee", RuleKind::first_time_payee}});
  rule.severity = node.choice<Severity>("severity", {{"low", Severity::low},
                                                     {"medium", Severity::medium},
                                                     {"high", Severity::high},
                                                     {"critical", Severity::critical}});
  if (node.has("when")) {
    rule.when = node.scalar("when");
    if (rule.when.find_first_not_of(" \t\r\n") == std::string::npos)
      node.fail_field("when", "empty");
    std::string error;
    const int condition = lua.compile("rule " + rule.id, rule.when, error);
    if (condition == LuaConditions::no_condition)
      node.fail_field("when", "does not compile: " + error);
    lua.release(condition);
  }
  rule.zone = set_zone;
  if (node.has("time_zone")) {
    const std::string name = node.scalar("time_zone");
    auto zone = TimeZone::locate(name);
    if (!zone) node.fail_field("time_zone", unknown_zone(name));
    rule.zone = *zone;
  }
  parse_kind_fields(node, rule, lists);
  return rule;
}

std::shared_ptr<const RuleSet> parse_rule_set(const YAML::Node& root) {
  if (!root.IsMap()) fail("the rules document must be a map with lists: and rules:");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>("");
    if (key != "lists" && key != "rules" && key != "time_zone")
      fail("unknown top-level key '" + key + "' (expected lists, rules, time_zone)");
  }
  TimeZone set_zone;
  if (const YAML::Node zone = root["time_zone"]) {
    if (!zone.IsScalar()) fail("time_zone: must be a zone name, e.g. Asia/Shanghai");
    auto located = TimeZone::locate(zone.Scalar());
    if (!located) fail("time_zone: " + unknown_zone(zone.Scalar()));
    set_zone = *located;
  }
  std::vector<WatchList> lists = parse_lists(root["lists"]);
  const YAML::Node rule_nodes = root["rules"];
  if (!rule_nodes || !rule_nodes.IsSequence()) fail("rules: missing, or not a sequence of rules");
  // Only compiled here, to report syntax errors; each engine compiles into its own state.
  LuaConditions lua(1'000, 8u << 20);
  std::vector<Rule> rules;
  std::set<std::string, std::less<>> ids;
  for (std::size_t i = 0; i < rule_nodes.size(); ++i) {
    RuleNode node(rule_nodes[i], i);
    if (!rule_nodes[i].IsMap())
      fail("rule #" + std::to_string(i + 1) + ": must be a map of fields");
    Rule rule = parse_rule(node, lists, lua, set_zone);
    if (!ids.insert(rule.id).second) node.fail_field("id", "duplicate: another rule has this id");
    rules.push_back(std::move(rule));
  }
  return std::make_shared<const RuleSet>(std::move(rules), std::move(lists));
}

std::int64_t retention_of(const Rule& rule) {
  switch (rule.kind) {
    case RuleKind::velocity:
    case RuleKind::cumulative:
      return rule.window_ms;
    case RuleKind::impossible_travel:
      // Older than this, even the farthest point is reachable within max_speed_kmh.
      return static_cast<std::int64_t>(
          std::ceil(max_distance_km / rule.max_speed_kmh * static_cast<double>(ms_per_hour)));
    default:
      return 0;
  }
}

}  // namespace

std::string_view to_string(RuleKind kind) {
  switch (kind) {
    case RuleKind::threshold:
      return "threshold";
    case RuleKind::velocity:
      return "velocity";
    case RuleKind::cumulative:
      return "cumulative";
    case RuleKind::time_of_day:
      return "time_of_day";
    case RuleKind::impossible_travel:
      return "impossible_travel";
    case RuleKind::list:
      return "list";
    case RuleKind::first_time_payee:
      return "first_time_payee";
  }
  return "?";
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::low:
      return "low";
    case Severity::medium:
      return "medium";
    case Severity::high:
      return "high";
    case Severity::critical:
      return "critical";
  }
  return "?";
}

bool WatchList::contains(std::string_view value) const {
  return std::binary_search(values.begin(), values.end(), value, std::less<>());
}

RuleSet::RuleSet(std::vector<Rule> rules, std::vector<WatchList> lists)
    : rules_(std::move(rules)), lists_(std::move(lists)) {
  for (const Rule& rule : rules_) retention_ms_ = std::max(retention_ms_, retention_of(rule));
}

Result<std::shared_ptr<const RuleSet>> load_rules(std::string_view yaml) {
  try {
    return parse_rule_set(YAML::Load(std::string(yaml)));
  } catch (const LoadError& e) {
    return make_error(RiskErrc::bad_rules, e.message);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's message carries the line and column.
    return make_error(RiskErrc::not_yaml, "not valid YAML: " + std::string(e.what()));
  } catch (const std::exception& e) {
    return make_error(RiskErrc::internal, e.what());
  }
}

Result<std::shared_ptr<const RuleSet>> load_rules_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(RiskErrc::unreadable, path + ": cannot open the rules file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(RiskErrc::unreadable, path + ": cannot read the rules file");
  auto load = load_rules(text.str());
  if (!load) return Error{load.error().code, path + ": " + load.error().message};
  return load;
}

}  // namespace gale::risk
