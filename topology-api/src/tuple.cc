#include "gale/tuple.h"

#include <stdexcept>

#include "text.h"

namespace gale {
namespace {

// "component:stream", the way every message names a stream.
std::string stream_name(const Tuple& t) {
  return text::concat(t.source_component(), ":", t.source_stream());
}

}  // namespace

const Value& Tuple::get(std::size_t i) const {
  if (i >= values_.size()) {
    throw std::out_of_range(text::concat("tuple from ", stream_name(*this), " has ", values_.size(),
                                         " values; index ", i, " is out of range"));
  }
  return values_[i];
}

const Value& Tuple::get(std::string_view field) const {
  std::optional<std::size_t> i = fields().index_of(field);
  if (!i) {
    throw std::out_of_range(text::concat("stream ", stream_name(*this), " has no field ",
                                         text::quoted(field), " (fields: ", fields().to_string(),
                                         ")"));
  }
  return get(*i);
}

const Fields& Tuple::fields() const {
  static const Fields kNone;
  return schema_ ? schema_->fields : kNone;
}

const std::string& Tuple::source_component() const {
  static const std::string kNone;
  return schema_ ? schema_->component : kNone;
}

const std::string& Tuple::source_stream() const {
  static const std::string kNone;
  return schema_ ? schema_->stream : kNone;
}

bool Tuple::is_tick() const {
  return schema_ && schema_->component == kSystemComponent && schema_->stream == kTickStream;
}

}  // namespace gale
