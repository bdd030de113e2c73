#include "gale/state/part.h"

#include <msgpack.hpp>

#include "gale/state/errc.h"

namespace gale::state {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_bytes(Packer& pk, std::string_view b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}
void pack_text(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// Reading: every shape check names what it expected.
struct Malformed {
  std::string what;
};
const msgpack::object_array& array_of(const msgpack::object& o, std::uint32_t size,
                                      const char* what) {
  if (o.type != msgpack::type::ARRAY || (size && o.via.array.size != size))
    throw Malformed{std::string(what) + " is not an array of " + std::to_string(size)};
  return o.via.array;
}
std::string bytes_of(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::BIN) return {o.via.bin.ptr, o.via.bin.size};
  if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
  throw Malformed{std::string(what) + " is not bytes"};
}

}  // namespace

// [prev, full, component, position | nil, [[name, type, [[key, value | nil], ...]], ...]],
// prev always as a uint64 of 8 bytes: the first kPartLinkBytes hold the link (decode_link).
std::string encode_part(const TaskPart& part) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_array(5);
  pk.pack_fix_uint64(part.prev);
  part.full ? pk.pack_true() : pk.pack_false();
  pack_text(pk, part.component);
  if (part.position)
    pack_bytes(pk, *part.position);
  else
    pk.pack_nil();
  pk.pack_array(static_cast<std::uint32_t>(part.states.size()));
  for (const StateDelta& s : part.states) {
    pk.pack_array(3);
    pack_text(pk, s.name);
    pack_text(pk, s.type);
    pk.pack_array(static_cast<std::uint32_t>(s.entries.size()));
    for (const auto& [key, value] : s.entries) {
      pk.pack_array(2);
      pack_bytes(pk, key);
      if (value)
        pack_bytes(pk, *value);
      else
        pk.pack_nil();
    }
  }
  return {buf.data(), buf.size()};
}

Result<TaskPart> decode_part(std::string_view bytes) {
  try {
    // Counts are checked against what the bytes can hold before anything is allocated: a
    // corrupt header cannot ask for more than the part's own size.
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), 0xffffffffu));
    std::size_t offset = 0;
    msgpack::object_handle handle =
        msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr,
                        msgpack::unpack_limit(n, n, n, n, 0, 8));
    if (offset != bytes.size())
      throw Malformed{std::to_string(bytes.size() - offset) + " bytes after the part"};
    const auto& top = array_of(handle.get(), 5, "a checkpoint part");
    TaskPart part;
    if (top.ptr[0].type != msgpack::type::POSITIVE_INTEGER) throw Malformed{"prev is not an id"};
    part.prev = top.ptr[0].via.u64;
    if (top.ptr[1].type != msgpack::type::BOOLEAN) throw Malformed{"full is not a boolean"};
    part.full = top.ptr[1].via.boolean;
    part.component = bytes_of(top.ptr[2], "component");
    if (top.ptr[3].type != msgpack::type::NIL) part.position = bytes_of(top.ptr[3], "position");
    const auto& states = array_of(top.ptr[4], 0, "states");
    for (std::uint32_t i = 0; i < states.size; ++i) {
      const auto& s = array_of(states.ptr[i], 3, "a state");
      StateDelta& d = part.states.emplace_back();
      d.name = bytes_of(s.ptr[0], "a state's name");
      d.type = bytes_of(s.ptr[1], "a state's type");
      const auto& entries = array_of(s.ptr[2], 0, "a state's entries");
      d.entries.reserve(entries.size);
      for (std::uint32_t j = 0; j < entries.size; ++j) {
        const auto& e = array_of(entries.ptr[j], 2, "an entry");
        auto& [key, value] = d.entries.emplace_back(bytes_of(e.ptr[0], "a key"), std::nullopt);
        if (e.ptr[1].type != msgpack::type::NIL) value = bytes_of(e.ptr[1], "a value");
      }
    }
    return part;
  } catch (const Malformed& m) {
    return make_error(StateErrc::corrupt, "checkpoint part: " + m.what);
  } catch (const std::exception& e) {
    return make_error(StateErrc::corrupt, std::string("checkpoint part: ") + e.what());
  }
}

std::optional<PartLink> decode_link(std::string_view head) {
  // 0x95: an array of 5; 0xcf: a uint64, big-endian; 0xc2 / 0xc3: false / true.
  if (head.size() < kPartLinkBytes || static_cast<unsigned char>(head[0]) != 0x95 ||
      static_cast<unsigned char>(head[1]) != 0xcf)
    return std::nullopt;
  const auto flag = static_cast<unsigned char>(head[10]);
  if (flag != 0xc2 && flag != 0xc3) return std::nullopt;
  PartLink link;
  for (int i = 2; i < 10; ++i) link.prev = (link.prev << 8) | static_cast<unsigned char>(head[i]);
  link.full = flag == 0xc3;
  return link;
}

Result<RestoredTask> replay_chain(CheckpointId checkpoint, const std::vector<TaskPart>& chain) {
  RestoredTask task;
  task.checkpoint = checkpoint;
  task.chain = static_cast<int>(chain.size());
  if (chain.empty() || !chain.front().full)
    return make_error(StateErrc::corrupt, "checkpoint " + std::to_string(checkpoint) +
                                              ": a task's chain does not start at a full part");
  task.component = chain.back().component;
  for (const TaskPart& part : chain) {
    if (part.component != task.component)
      return make_error(StateErrc::corrupt, "a task's chain mixes components '" + part.component +
                                                "' and '" + task.component + "'");
    if (part.full) task.states.clear();
    if (part.position) task.position = part.position;
    for (const StateDelta& d : part.states) {
      RestoredState& s = task.states[d.name];
      if (!s.type.empty() && s.type != d.type)
        return make_error(StateErrc::corrupt, "state '" + d.name + "' changes type from " + s.type +
                                                  " to " + d.type + " within a chain");
      s.type = d.type;
      for (const auto& [key, value] : d.entries) {
        if (value)
          s.entries[key] = *value;
        else
          s.entries.erase(key);
      }
    }
  }
  return task;
}

}  // namespace gale::state
