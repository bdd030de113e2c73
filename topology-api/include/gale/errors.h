#pragma once
// Exceptions of the topology API. The runtime catches them at its boundary; none escapes a
// worker thread.
#include <stdexcept>
#include <string>

namespace gale {

// A value of the wrong type was asked for (Value::as_int on a string, ...).
class TypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A topology failed validation. what() lists every problem found, one per line.
class InvalidTopology : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown from BasicBolt::execute to fail the input tuple (the spout's fail() runs and it may
// replay). Any other exception from execute also fails the tuple and is reported as an error.
class FailedException : public std::runtime_error {
 public:
  explicit FailedException(const std::string& why = "failed") : std::runtime_error(why) {}
};

}  // namespace gale
