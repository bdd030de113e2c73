#pragma once
// One task's part of a checkpoint, as stored by a StateBackend: the entries its states changed
// since its previous part (or all of them), its spout position, and a link to that previous
// part. A task's state as of a checkpoint is its chain of parts from the last full one.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/common/result.h"
#include "gale/state.h"

namespace gale::state {

struct StateDelta {
  std::string name;
  std::string type;  // StateBase::type()
  // In order; a missing value erases the key.
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;
};

struct TaskPart {
  CheckpointId prev = 0;  // this task's previous part in its chain; 0: none
  bool full = true;       // holds every entry: the chain starts here
  // The component the task belongs to: a restore checks it, since task ids follow the
  // topology's components (a topology changed in between would hand state to the wrong one).
  std::string component;
  std::optional<std::string> position;  // a StatefulSpout's
  std::vector<StateDelta> states;
};

std::string encode_part(const TaskPart& part);
// StateErrc::corrupt naming what is wrong.
Result<TaskPart> decode_part(std::string_view bytes);

// A part's link to the task's previous part, which garbage collection follows: readable from
// the first kPartLinkBytes of an encoded part alone (encode_part writes prev at a fixed width),
// without reading or decoding the rest.
struct PartLink {
  CheckpointId prev = 0;
  bool full = true;
};
inline constexpr std::size_t kPartLinkBytes = 11;
// The link in `head` (a part's first bytes); nullopt when they are not laid out that way (a
// part encoded otherwise: decode it whole).
std::optional<PartLink> decode_link(std::string_view head);

// A task's state as of one checkpoint: every state's entries, and a spout's position.
struct RestoredState {
  std::string type;
  std::map<std::string, std::string> entries;
};
struct RestoredTask {
  CheckpointId checkpoint = 0;
  std::string component;
  int chain = 0;  // parts replayed: the full one and the deltas after it
  std::optional<std::string> position;
  std::map<std::string, RestoredState, std::less<>> states;
};

// Applies `chain` (oldest first: a full part, then deltas) into one state.
Result<RestoredTask> replay_chain(CheckpointId checkpoint, const std::vector<TaskPart>& chain);

}  // namespace gale::state
