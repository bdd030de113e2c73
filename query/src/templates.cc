#include "gale/query/templates.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace gale::query {

namespace {

constexpr std::size_t kMaxTextBytes = 4096;

Error bad_template(const std::string& name, const std::string& why) {
  return make_error(
      QueryErrc::bad_template,
      (name.empty() ? std::string("a template") : "template '" + name + "'") + ": " + why);
}

bool identifier_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::optional<ParamType> type_named(std::string_view name) {
  for (ParamType t : {ParamType::text, ParamType::integer, ParamType::numeric, ParamType::boolean,
                      ParamType::date, ParamType::timestamp})
    if (to_string(t) == name) return t;
  return std::nullopt;
}

std::string_view sql_type(ParamType type) {
  switch (type) {
    case ParamType::text:
      return "text";
    case ParamType::integer:
      return "bigint";
    case ParamType::numeric:
      return "numeric";
    case ParamType::boolean:
      return "boolean";
    case ParamType::date:
      return "date";
    case ParamType::timestamp:
      return "timestamptz";
  }
  return "text";
}

// The template's SQL with each :name replaced by CAST($k AS type), skipping string literals,
// quoted identifiers, dollar-quoted strings, comments and :: casts. Refuses a second statement,
// positional $n, and names that are not declared; reports the parameters used.
Result<std::string> to_positional(const Template& t, std::vector<bool>& used) {
  const std::string& sql = t.sql;
  std::string out;
  used.assign(t.params.size(), false);
  bool statement_ended = false;
  std::size_t i = 0;
  auto copy_until = [&](std::size_t end) {
    out.append(sql, i, end - i);
    i = end;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (statement_ended && !std::isspace(static_cast<unsigned char>(c)) &&
        !(c == '-' && i + 1 < sql.size() && sql[i + 1] == '-'))
      return bad_template(t.name, "its sql holds more than one statement");
    if (c == '\'' || c == '"') {  // 'string' ('' inside) or "identifier" ("" inside)
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      if (j >= sql.size()) return bad_template(t.name, "its sql has an unterminated quote");
      copy_until(j + 1);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      copy_until(end == std::string::npos ? sql.size() : end);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      if (end == std::string::npos) return bad_template(t.name, "its sql has an open comment");
      copy_until(end + 2);
    } else if (c == '$') {
      std::size_t j = i + 1;
      if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])))
        return bad_template(t.name,
                            "positional parameters ($1) are not allowed; name them "
                            "(:name) and declare them under params");
      while (j < sql.size() && identifier_char(sql[j], j == i + 1)) ++j;
      if (j < sql.size() && sql[j] == '$') {  // $tag$ ... $tag$
        std::string tag = sql.substr(i, j - i + 1);
        std::size_t end = sql.find(tag, j + 1);
        if (end == std::string::npos)
          return bad_template(t.name, "its sql has an unterminated " + tag + " string");
        copy_until(end + tag.size());
      } else {
        copy_until(j);
      }
    } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
      copy_until(i + 2);
    } else if (c == ':' && i + 1 < sql.size() && identifier_char(sql[i + 1], true)) {
      std::size_t j = i + 1;
      while (j < sql.size() && identifier_char(sql[j], false)) ++j;
      std::string name = sql.substr(i + 1, j - i - 1);
      auto it = std::find_if(t.params.begin(), t.params.end(),
                             [&](const Param& p) { return p.name == name; });
      if (it == t.params.end())
        return bad_template(t.name, ":" + name + " is not a declared parameter");
      std::size_t k = static_cast<std::size_t>(it - t.params.begin());
      used[k] = true;
      out += "CAST($" + std::to_string(k + 1) + " AS " + std::string(sql_type(it->type)) + ")";
      i = j;
    } else if (c == ';') {
      statement_ended = true;
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

bool starts_read_only(std::string_view sql) {
  std::size_t i = 0;
  for (;;) {  // past whitespace and comments
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i == std::string_view::npos) return false;
      i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return word == "SELECT" || word == "WITH" || word == "VALUES" || word == "TABLE";
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s.substr(0, 4)) || !digits(s.substr(5, 2)) || !digits(s.substr(8, 2))) return false;
  int y = std::stoi(std::string(s.substr(0, 4))), m = std::stoi(std::string(s.substr(5, 2))),
      d = std::stoi(std::string(s.substr(8, 2)));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

// RFC 3339: 2026-11-24T13:00:00Z, with optional fraction, Z or +HH:MM / -HH:MM.
bool valid_timestamp(std::string_view s) {
  if (s.size() < 20 || !valid_date(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't')) return false;
  std::string_view time = s.substr(11);
  if (time.size() < 9 || time[2] != ':' || time[5] != ':' || !digits(time.substr(0, 2)) ||
      !digits(time.substr(3, 2)) || !digits(time.substr(6, 2)))
    return false;
  if (std::stoi(std::string(time.substr(0, 2))) > 23 ||
      std::stoi(std::string(time.substr(3, 2))) > 59 ||
      std::stoi(std::string(time.substr(6, 2))) > 60)
    return false;
  std::string_view rest = time.substr(8);
  if (!rest.empty() && rest[0] == '.') {
    std::size_t n = 1;
    while (n < rest.size() && std::isdigit(static_cast<unsigned char>(rest[n]))) ++n;
    if (n == 1) return false;
    rest.remove_prefix(n);
  }
  if (rest == "Z" || rest == "z") return true;
  return rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
         digits(rest.substr(1, 2)) && digits(rest.substr(4, 2));
}

}  // namespace

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::text:
      return "text";
    case ParamType::integer:
      return "integer";
    case ParamType::numeric:
      return "numeric";
    case ParamType::boolean:
      return "boolean";
    case ParamType::date:
      return "date";
    case ParamType::timestamp:
      return "timestamp";
  }
  return "text";
}

Result<void> check_value(const Param& param, std::string_view value) {
  auto refuse = [&](const std::string& what) -> Error {
    std::string shown(value.substr(0, 64));
    return make_error(QueryErrc::bad_request,
                      "parameter '" + param.name + "' (" + std::string(to_string(param.type)) +
                          "): \"" + shown + (value.size() > 64 ? "..." : "") + "\" is not " + what);
  };
  switch (param.type) {
    case ParamType::text:
      if (value.find('\0') != std::string_view::npos)
        return make_error(QueryErrc::bad_request,
                          "parameter '" + param.name + "' (text): holds a NUL byte");
      if (value.size() > kMaxTextBytes)
        return make_error(QueryErrc::bad_request, "parameter '" + param.name +
                                                      "' (text): longer than " +
                                                      std::to_string(kMaxTextBytes) + " bytes");
      return {};
    case ParamType::integer: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        return refuse("an integer");
      return {};
    }
    case ParamType::numeric: {
      std::string_view v = value;
      if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
      auto dot = v.find('.');
      std::string_view whole = v.substr(0, dot);
      std::string_view fraction = dot == std::string_view::npos ? "" : v.substr(dot + 1);
      if (v.size() > 64 || (whole.empty() && fraction.empty()) ||
          (!whole.empty() && !digits(whole)) ||
          (dot != std::string_view::npos && !digits(fraction)))
        return refuse("a decimal number");
      return {};
    }
    case ParamType::boolean:
      if (value != "true" && value != "false") return refuse("true or false");
      return {};
    case ParamType::date:
      if (!valid_date(value)) return refuse("a date (YYYY-MM-DD)");
      return {};
    case ParamType::timestamp:
      if (!valid_timestamp(value)) return refuse("an RFC 3339 time with its offset");
      return {};
  }
  return {};
}

Result<Templates> Templates::parse(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(QueryErrc::bad_template, std::string("not YAML: ") + e.what());
  }
  if (!root.IsMap() || !root["queries"] || !root["queries"].IsSequence())
    return make_error(QueryErrc::bad_template, "expected a map with a list 'queries'");
  Templates out;
  try {
    for (const YAML::Node& q : root["queries"]) {
      Template t;
      if (!q.IsMap()) return bad_template("", "each entry of 'queries' must be a map");
      t.name = q["name"] ? q["name"].as<std::string>() : "";
      if (t.name.empty() || t.name.size() > 64 ||
          !std::all_of(t.name.begin(), t.name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
          }))
        return bad_template(t.name, "a name of letters, digits, '_' or '-' (1 to 64) is required");
      if (out.find(t.name)) return bad_template(t.name, "the name is used twice");
      t.description = q["description"] ? q["description"].as<std::string>() : "";
      t.sql = q["sql"] ? q["sql"].as<std::string>() : "";
      if (t.sql.find_first_not_of(" \t\r\n") == std::string::npos)
        return bad_template(t.name, "'sql' is required");
      if (!starts_read_only(t.sql))
        return bad_template(t.name, "the sql must be a query (SELECT, WITH, VALUES or TABLE)");
      if (q["params"]) {
        if (!q["params"].IsSequence()) return bad_template(t.name, "'params' must be a list");
        for (const YAML::Node& p : q["params"]) {
          Param param;
          param.name = p["name"] ? p["name"].as<std::string>() : "";
          if (param.name.empty() || param.name.size() > 63 ||
              !identifier_char(param.name[0], true) ||
              !std::all_of(param.name.begin(), param.name.end(),
                           [](char c) { return identifier_char(c, false); }))
            return bad_template(
                t.name, "parameter name '" + param.name + "' is not letters, digits and '_'");
          if (std::any_of(t.params.begin(), t.params.end(),
                          [&](const Param& other) { return other.name == param.name; }))
            return bad_template(t.name, "parameter '" + param.name + "' is declared twice");
          if (param.name == "limit" || param.name == "offset")
            return bad_template(t.name, "'" + param.name + "' is the page's own parameter");
          std::string type = p["type"] ? p["type"].as<std::string>() : "text";
          auto parsed = type_named(type);
          if (!parsed)
            return bad_template(t.name, "parameter '" + param.name + "' has type '" + type +
                                            "'; expected text, integer, numeric, boolean, "
                                            "date or timestamp");
          param.type = *parsed;
          param.description = p["description"] ? p["description"].as<std::string>() : "";
          if (p["default"]) {
            param.default_value = p["default"].as<std::string>();
            if (auto ok = check_value(param, *param.default_value); !ok)
              return bad_template(t.name, "its default: " + ok.error().message);
          }
          t.params.push_back(std::move(param));
        }
      }
      std::vector<bool> used;
      auto positional = to_positional(t, used);
      if (!positional) return positional.error();
      for (std::size_t k = 0; k < used.size(); ++k)
        if (!used[k])
          return bad_template(t.name,
                              "parameter '" + t.params[k].name + "' is not used in its sql");
      // The page: its own two parameters after the template's, so a page never changes the
      // template's own ORDER BY.
      std::string body = *positional;
      while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
        body.pop_back();
      t.positional = body + "\nLIMIT $" + std::to_string(t.params.size() + 1) + " OFFSET $" +
                     std::to_string(t.params.size() + 2);
      out.templates_.push_back(std::move(t));
    }
  } catch (const YAML::Exception& e) {
    return make_error(QueryErrc::bad_template,
                      std::string("a value of the wrong kind: ") + e.what());
  }
  if (out.templates_.empty()) return make_error(QueryErrc::bad_template, "no queries defined");
  return out;
}

Result<Templates> Templates::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(QueryErrc::bad_template, "cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  auto parsed = parse(s.str());
  if (!parsed) return make_error(QueryErrc::bad_template, path + ": " + parsed.error().message);
  return parsed;
}

const Template* Templates::find(std::string_view name) const {
  for (const Template& t : templates_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace gale::query
