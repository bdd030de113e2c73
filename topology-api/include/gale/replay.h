#pragma once
// For spouts whose source cannot be re-read (a generator, a file read once, a socket): keeps
// each tracked tuple's values from emit until ack, and re-emits failed tuples, oldest failure
// first, before anything new. Storm leaves this to every spout; here it is written once.
//
//   void next_tuple() override {
//     if (replay_.replay_one(*out_)) return;      // failures first
//     ... replay_.emit(*out_, values, id);        // then new tuples
//   }
//   void ack(gale::MessageId id) override { replay_.ack(id); }
//   void fail(gale::MessageId id) override { replay_.fail(id); }
//
// Threading: like the spout that owns it, called only from the spout's executor thread.
#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>

#include "gale/collectors.h"
#include "gale/value.h"

namespace gale {

class ReplayBuffer {
 public:
  // Emits `values` on the default stream, tracked as `id`, and keeps them until ack(id).
  void emit(SpoutCollector& out, Values values, MessageId id) {
    out.emit(values, id);
    pending_.insert_or_assign(id, std::move(values));
  }
  // Re-emits the oldest failed tuple still pending. Returns false when none is waiting.
  bool replay_one(SpoutCollector& out) {
    while (!failed_.empty()) {
      MessageId id = failed_.front();
      failed_.pop_front();
      if (auto it = pending_.find(id); it != pending_.end()) {
        out.emit(it->second, id);
        return true;
      }
    }
    return false;
  }
  void ack(MessageId id) { pending_.erase(id); }
  void fail(MessageId id) { failed_.push_back(id); }
  // Tuples emitted and not yet acked (including those waiting for a replay).
  std::size_t pending() const { return pending_.size(); }

 private:
  std::unordered_map<MessageId, Values> pending_;
  std::deque<MessageId> failed_;
};

}  // namespace gale
