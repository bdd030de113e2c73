#pragma once
// Helpers shared by the topology API's tests.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

#include "gale/tuple.h"

namespace gale {

// The message of the Exception `action` throws; fails the test if it throws none.
template <class Exception>
std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type was thrown";
  return {};
}

namespace detail {

// The runtime's TupleAccess (the friend declared in gale/tuple.h) lives in runtime/, which this
// test binary does not link; this stand-in gives the tests only what they need.
class TupleAccess {
 public:
  // A tuple with `values` from the stream `schema`, which must outlive the tuple.
  static Tuple make(const StreamSchema& schema, Values values) {
    Tuple t;
    t.values_ = std::move(values);
    t.schema_ = &schema;
    return t;
  }
};

}  // namespace detail
}  // namespace gale
