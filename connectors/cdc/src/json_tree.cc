#include "json_tree.h"

#include <simdjson.h>

#include <nlohmann/json.hpp>

namespace gale::cdc::json {
namespace {

namespace od = simdjson::ondemand;

constexpr int kMaxDepth = 64;

// simdjson reads a few bytes past the end of its input: each thread copies the input into a
// padded buffer; parser and buffer are reused.
struct ThreadParser {
  od::parser parser;
  std::string buffer;
};

Error bad(std::string message) {
  return make_error(CdcErrc::not_json, std::move(message));
}

simdjson::error_code build(od::value value, Node& out, int depth);

simdjson::error_code build_object(od::object object, Node& out, int depth) {
  out.kind = Node::Kind::object;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    auto& member = out.members.emplace_back(std::string(key), Node{});
    od::value v;
    if (auto e = field.value().get(v)) return e;
    if (auto e = build(v, member.second, depth + 1)) return e;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code build(od::value value, Node& out, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      return build_object(object, out, depth);
    }
    case od::json_type::array: {
      out.kind = Node::Kind::array;
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto item : array) {
        od::value v;
        if (auto e = item.get(v)) return e;
        if (auto e = build(v, out.items.emplace_back(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      out.kind = Node::Kind::number;
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() &&
             (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r'))
        raw.remove_suffix(1);
      // Checked, not only copied: "1.2.3" is no number.
      double ignored;
      if (auto e = value.get_double().get(ignored)) return e;
      out.text = raw;
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      out.kind = Node::Kind::string;
      std::string_view s;
      if (auto e = value.get_string().get(s)) return e;
      out.text = s;
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      out.kind = Node::Kind::boolean;
      bool b;
      if (auto e = value.get_bool().get(b)) return e;
      out.text = b ? "true" : "false";
      return simdjson::SUCCESS;
    }
    case od::json_type::null:
      out.kind = Node::Kind::null;
      if (bool is_null; value.is_null().get(is_null) || !is_null) return simdjson::N_ATOM_ERROR;
      return simdjson::SUCCESS;
  }
  return simdjson::INCORRECT_TYPE;
}

// RFC 8259 escaping, by nlohmann's serializer.
void escape_into(std::string& out, std::string_view s) {
  out += nlohmann::json(s).dump();
}

void dump_into(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::null:
      out += "null";
      return;
    case Node::Kind::boolean:
    case Node::Kind::number:
      out += n.text;
      return;
    case Node::Kind::string:
      escape_into(out, n.text);
      return;
    case Node::Kind::object:
      out += '{';
      for (std::size_t i = 0; i < n.members.size(); ++i) {
        if (i) out += ',';
        escape_into(out, n.members[i].first);
        out += ':';
        dump_into(n.members[i].second, out);
      }
      out += '}';
      return;
    case Node::Kind::array:
      out += '[';
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i) out += ',';
        dump_into(n.items[i], out);
      }
      out += ']';
      return;
  }
}

}  // namespace

const Node* Node::get(std::string_view name) const {
  for (const auto& [key, value] : members)
    if (key == name) return &value;
  return nullptr;
}

std::string Node::dump() const {
  std::string out;
  dump_into(*this, out);
  return out;
}

Field Node::field() const {
  switch (kind) {
    case Kind::null:
      return {Field::Kind::null, {}};
    case Kind::boolean:
      return {Field::Kind::boolean, text};
    case Kind::number:
      return {Field::Kind::number, text};
    case Kind::string:
      return {Field::Kind::string, text};
    case Kind::object:
    case Kind::array:
      return {Field::Kind::json, dump()};
  }
  return {};
}

Result<Node> parse(std::string_view text) {
  thread_local ThreadParser p;
  p.buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  p.buffer.assign(text);
  simdjson::padded_string_view padded(p.buffer.data(), text.size(), p.buffer.capacity());
  od::document doc;
  if (auto e = p.parser.iterate(padded).get(doc)) return bad(simdjson::error_message(e));
  Node root;
  od::value v;
  if (auto e = doc.get_value().get(v)) return bad(simdjson::error_message(e));
  if (auto e = build(v, root, 0)) return bad(simdjson::error_message(e));
  // Past the root value only whitespace: "{...} junk" and "{...}{...}" are not one document.
  if (const char* rest = nullptr; doc.current_location().get(rest) == simdjson::SUCCESS &&
                                  rest != nullptr && rest < p.buffer.data() + text.size())
    return bad("trailing content after the JSON value");
  return root;
}

}  // namespace gale::cdc::json
