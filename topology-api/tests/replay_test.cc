// ReplayBuffer: what a spout re-emits after failures, and what it forgets after acks.
#include "gale/replay.h"

#include <gtest/gtest.h>

#include <vector>

namespace gale {
namespace {

// Records every tracked emit.
class RecordingCollector final : public SpoutCollector {
 public:
  void report_error(std::string_view) override {}
  std::int64_t pending_count() const override { return 0; }
  void set_polled(bool) override {}
  void input_available() override {}
  std::vector<std::pair<MessageId, Values>> emitted;

 protected:
  void do_emit(std::string_view, const Values& values, const MessageId* id, int) override {
    emitted.emplace_back(id ? *id : ~MessageId{0}, values);
  }
};

TEST(ReplayBufferTest, FailedTuplesAreReEmittedOldestFailureFirstWithTheirValues) {
  RecordingCollector out;
  ReplayBuffer replay;
  replay.emit(out, {"a"}, 1);
  replay.emit(out, {"b"}, 2);
  replay.emit(out, {"c"}, 3);
  replay.fail(3);
  replay.fail(1);
  ASSERT_TRUE(replay.replay_one(out));
  ASSERT_TRUE(replay.replay_one(out));
  EXPECT_FALSE(replay.replay_one(out));
  ASSERT_EQ(out.emitted.size(), 5u);
  EXPECT_EQ(out.emitted[3].first, 3u);
  EXPECT_EQ(out.emitted[3].second[0].as_string(), "c");
  EXPECT_EQ(out.emitted[4].first, 1u);
  EXPECT_EQ(out.emitted[4].second[0].as_string(), "a");
}

TEST(ReplayBufferTest, AckedTuplesAreForgottenAndNeverReplayed) {
  RecordingCollector out;
  ReplayBuffer replay;
  replay.emit(out, {"a"}, 1);
  replay.emit(out, {"b"}, 2);
  replay.ack(1);
  EXPECT_EQ(replay.pending(), 1u);
  replay.fail(1);  // a late failure of an acked tuple: nothing to replay
  EXPECT_FALSE(replay.replay_one(out));
  replay.fail(2);
  EXPECT_TRUE(replay.replay_one(out));
  replay.ack(2);
  EXPECT_EQ(replay.pending(), 0u);
}

}  // namespace
}  // namespace gale
