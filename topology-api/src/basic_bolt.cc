#include <exception>

#include "gale/errors.h"
#include "gale/topology.h"

namespace gale {
namespace {

// Anchors every emit to the input being executed. Lives for one execute() call.
class AnchoringCollector final : public BasicCollector {
 public:
  AnchoringCollector(OutputCollector& out, const Tuple& input) : out_(out), input_(input) {}

  void emit(const Values& values) override { out_.emit(input_, values); }
  void emit(std::string_view stream, const Values& values) override {
    out_.emit(stream, input_, values);
  }
  void emit_direct(int task, std::string_view stream, const Values& values) override {
    out_.emit_direct(task, stream, input_, values);
  }
  void report_error(std::string_view message) override { out_.report_error(message); }

 private:
  OutputCollector& out_;
  const Tuple& input_;
};

class BasicBoltAdapter final : public Bolt {
 public:
  explicit BasicBoltAdapter(std::unique_ptr<BasicBolt> basic) : basic_(std::move(basic)) {}

  void prepare(const Config& conf, TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    basic_->prepare(conf, context);
  }

  // The input is acked only when execute returns normally. The ack sits outside the try so
  // that a failure inside ack() is never turned into a second verdict (a fail) on the input.
  void execute(const Tuple& input) override {
    AnchoringCollector anchored(*collector_, input);
    try {
      basic_->execute(input, anchored);
    } catch (const FailedException&) {
      collector_->fail(input);
      return;
    } catch (const std::exception& e) {
      fail_with_error(input, e.what());
      return;
    } catch (...) {
      fail_with_error(input, "execute threw a non-standard exception");
      return;
    }
    collector_->ack(input);
  }

  void cleanup() override { basic_->cleanup(); }
  void declare_outputs(OutputDeclarer& declarer) const override {
    basic_->declare_outputs(declarer);
  }

 private:
  void fail_with_error(const Tuple& input, std::string_view error) {
    collector_->report_error(error);
    collector_->fail(input);
  }

  std::unique_ptr<BasicBolt> basic_;
  OutputCollector* collector_ = nullptr;  // set by prepare, owned by the runtime
};

}  // namespace

// A null BasicBolt gives a null Bolt, so that a factory returning null is reported as such.
std::unique_ptr<Bolt> adapt_basic_bolt(std::unique_ptr<BasicBolt> basic) {
  if (!basic) return nullptr;
  return std::make_unique<BasicBoltAdapter>(std::move(basic));
}

}  // namespace gale
