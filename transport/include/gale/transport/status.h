#pragma once
// The outcome of a transport or codec operation: ok, or an error with a message for a human.
#include <string>
#include <utility>

namespace gale::transport {

class Status {
 public:
  static Status ok() { return Status(true, {}); }
  static Status error(std::string message) { return Status(false, std::move(message)); }

  bool is_ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& message() const { return message_; }  // empty when ok; names the problem

 private:
  Status(bool ok, std::string message) : ok_(ok), message_(std::move(message)) {}

  bool ok_;
  std::string message_;
};

}  // namespace gale::transport
