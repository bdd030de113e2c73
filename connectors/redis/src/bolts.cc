#include "gale/redis/bolts.h"

#include <stdexcept>

namespace gale::redis {

void PipelinedRedisBolt::prepare(const Config& config, TopologyContext&,
                                 OutputCollector& collector) {
  batch_ = BatchOptions::from_config(config);
  client_.emplace(ConnectionOptions::from_config(config));
  if (batch_.batch_size > 1 && config.get_int(gale::conf::kTopologyTickTupleFreqSecs) <= 0 &&
      config.get_int(gale::conf::kTopologyTickTupleFreqMs) <= 0) {
    throw std::invalid_argument(name_ + ": " + conf::kBatchSize + " is " +
                                std::to_string(batch_.batch_size) + " but this component has no " +
                                gale::conf::kTopologyTickTupleFreqMs + " or " +
                                gale::conf::kTopologyTickTupleFreqSecs +
                                ", so a partial batch would wait for the next input; set one on "
                                "the bolt (its flush interval in ms is usual) or " +
                                conf::kBatchSize + " to 1");
  }
  collector_ = &collector;
}

void PipelinedRedisBolt::execute(const Tuple& input) {
  if (input.is_tick()) {
    if (!buffered_.empty()) flush();
    return;
  }
  std::vector<Command> commands = commands_for(input);
  if (commands.empty()) {
    collector_->ack(input);
    return;
  }
  for (const Command& command : commands) {
    // Refused here, alone: in the pipeline it would fail the whole batch.
    if (command.empty())
      throw std::invalid_argument(name_ + ": the mapper returned an empty command");
  }
  if (buffered_.empty()) oldest_ = std::chrono::steady_clock::now();
  buffered_.push_back({input, commands_.size(), commands.size()});
  for (Command& command : commands) commands_.push_back(std::move(command));
  if (flush_due()) flush();
}

bool PipelinedRedisBolt::flush_due() const {
  return buffered_.size() >= static_cast<std::size_t>(batch_.batch_size) ||
         std::chrono::steady_clock::now() - oldest_ >= batch_.flush_interval;
}

void PipelinedRedisBolt::flush() {
  std::vector<Buffered> batch;
  std::vector<Command> commands;
  batch.swap(buffered_);
  commands.swap(commands_);
  Result<std::vector<Reply>> replies = client_->pipeline(commands);
  if (!replies) {
    if (!outage_reported_) {
      collector_->report_error(name_ + ": " + replies.error().message + "; failing " +
                               std::to_string(batch.size()) + " inputs for replay");
      outage_reported_ = true;
    }
    for (Buffered& b : batch) collector_->fail(b.input);
    return;
  }
  outage_reported_ = false;
  std::span<const Command> all_commands(commands);
  std::span<const Reply> all_replies(replies.value());
  for (Buffered& b : batch) {
    complete(b, all_commands.subspan(b.first_command, b.command_count),
             all_replies.subspan(b.first_command, b.command_count));
  }
}

void PipelinedRedisBolt::complete(Buffered& buffered, std::span<const Command> commands,
                                  std::span<const Reply> replies) {
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error()) {
      collector_->report_error(name_ + ": " + commands[i][0] + " got " + replies[i].str);
      collector_->fail(buffered.input);
      return;
    }
  }
  try {
    on_replies(buffered.input, replies, *collector_);
  } catch (const std::exception& e) {
    collector_->report_error(name_ + ": " + e.what());
    collector_->fail(buffered.input);
    return;
  }
  collector_->ack(buffered.input);
}

void RedisLookupBolt::on_replies(const Tuple& input, std::span<const Reply> replies,
                                 OutputCollector& collector) {
  for (const Values& values : result_(input, replies.front())) collector.emit(input, values);
}

}  // namespace gale::redis
