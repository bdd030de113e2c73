#pragma once
// Query templates: named, parameterized, read-only SQL over result tables, defined in YAML, for
// gale-query to serve (query/README.md has the file's format).
//
//   queries:
//     - name: institution_balances
//       description: An institution's current totals per currency
//       sql: |
//         SELECT currency, total, accounts FROM balances.by_institution
//         WHERE institution_id = :institution ORDER BY currency
//       params:
//         - {name: institution, type: text, description: the institution's id}
//
// A parameter is written :name in the SQL and is always bound, never spliced: the SQL sent to
// PostgreSQL has $1, $2, ... (cast to the parameter's type) where the template had :name. A
// value is checked against its type before it is bound, and a wrong one is named.
//
// Threading: a loaded Templates is immutable and may be shared.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/query/errc.h"
#include "gale/result.h"

namespace gale::query {

enum class ParamType { text, integer, numeric, boolean, date, timestamp };
std::string_view to_string(ParamType type);

struct Param {
  std::string name;
  ParamType type = ParamType::text;
  std::optional<std::string> default_value;  // nothing: required
  std::string description;
};

struct Template {
  std::string name;
  std::string description;
  std::string sql;         // as written, with :name parameters
  std::string positional;  // with $n parameters (cast to their types) and the page's two after
  std::vector<Param> params;
};

// Checks `value` against `type`; the error (bad_request) names the parameter, its type and
// the value: `parameter 'limit_minor' (integer): "12x" is not an integer`.
Result<void> check_value(const Param& param, std::string_view value);

class Templates {
 public:
  // From a YAML document. bad_template naming the template and what is wrong: a missing name or
  // sql, a name used twice, a parameter of an unknown type or not used in the SQL, a :name not
  // declared, more than one statement, SQL that does not start with SELECT, WITH, VALUES or
  // TABLE, positional $n parameters.
  static Result<Templates> parse(std::string_view yaml);
  static Result<Templates> load_file(const std::string& path);

  const std::vector<Template>& all() const { return templates_; }
  const Template* find(std::string_view name) const;

 private:
  std::vector<Template> templates_;
};

}  // namespace gale::query
