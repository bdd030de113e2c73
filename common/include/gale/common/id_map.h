#pragma once
// Open-addressing hash map from a non-zero random 64-bit id to V, for the acker's and the
// spouts' pending tuple trees. The ids are random, so their low bits index directly; linear
// probing with backward-shift deletion keeps it tombstone-free. Key 0 marks an empty slot.
// Single-threaded.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gale {

template <typename V>
class IdMap {
 public:
  explicit IdMap(std::size_t initial_capacity = 64) { rehash(round_up(initial_capacity)); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Inserts a default V for a new id. Returns the value and whether it was inserted.
  std::pair<V*, bool> try_emplace(std::uint64_t id) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);
    std::size_t i = id & mask_;
    while (slots_[i].id != 0) {
      if (slots_[i].id == id) return {&slots_[i].value, false};
      i = (i + 1) & mask_;
    }
    slots_[i].id = id;
    slots_[i].value = V{};
    ++size_;
    return {&slots_[i].value, true};
  }

  V* find(std::uint64_t id) {
    std::size_t i = id & mask_;
    while (slots_[i].id != 0) {
      if (slots_[i].id == id) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  // Removes `id`, moving its value into `out`. False when absent.
  bool take(std::uint64_t id, V& out) {
    std::size_t i = id & mask_;
    while (slots_[i].id != id) {
      if (slots_[i].id == 0) return false;
      i = (i + 1) & mask_;
    }
    out = std::move(slots_[i].value);
    erase_at(i);
    return true;
  }

  template <typename F>
  void for_each(F&& f) {
    for (auto& s : slots_)
      if (s.id != 0) f(s.id, s.value);
  }

  void clear() {
    for (auto& s : slots_) s.id = 0;
    size_ = 0;
  }

 private:
  struct Slot {
    std::uint64_t id = 0;
    V value{};
  };

  static std::size_t round_up(std::size_t n) {
    std::size_t c = 16;
    while (c < n) c <<= 1;
    return c;
  }

  void erase_at(std::size_t hole) {
    // Backward shift: pull later entries of the probe run into the hole.
    std::size_t i = hole;
    for (;;) {
      i = (i + 1) & mask_;
      if (slots_[i].id == 0) break;
      std::size_t home = slots_[i].id & mask_;
      bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
      if (movable) {
        slots_[hole] = std::move(slots_[i]);
        hole = i;
      }
    }
    slots_[hole].id = 0;
    --size_;
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(capacity);
    mask_ = capacity - 1;
    size_ = 0;
    for (auto& s : old) {
      if (s.id == 0) continue;
      auto [v, inserted] = try_emplace(s.id);
      *v = std::move(s.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// Pending entries kept in `buckets` generations. rotate() retires the oldest generation and
// hands its entries to the caller (they have expired); an entry therefore lives between
// (buckets-1) and buckets rotation periods. Storm's RotatingMap, over IdMap.
template <typename V>
class RotatingIdMap {
 public:
  explicit RotatingIdMap(int buckets = 4) : buckets_(static_cast<std::size_t>(buckets)) {}

  std::size_t size() const {
    std::size_t n = 0;
    for (auto& b : buckets_) n += b.size();
    return n;
  }

  // The entry for `id`, created in the newest bucket if absent anywhere.
  V& get_or_create(std::uint64_t id) {
    for (auto& b : buckets_)
      if (V* v = b.find(id)) return *v;
    return *buckets_[newest_].try_emplace(id).first;
  }

  // The entry for an id known to be new (a freshly drawn root): skips the search.
  V& insert_new(std::uint64_t id) { return *buckets_[newest_].try_emplace(id).first; }

  V* find(std::uint64_t id) {
    for (auto& b : buckets_)
      if (V* v = b.find(id)) return v;
    return nullptr;
  }

  bool take(std::uint64_t id, V& out) {
    // Newest first: most completions are of recent trees.
    for (std::size_t k = 0; k < buckets_.size(); ++k) {
      std::size_t i = (newest_ + buckets_.size() - k) % buckets_.size();
      if (buckets_[i].take(id, out)) return true;
    }
    return false;
  }

  template <typename F>
  void rotate(F&& on_expired) {
    std::size_t oldest = (newest_ + 1) % buckets_.size();
    buckets_[oldest].for_each(on_expired);
    buckets_[oldest].clear();
    newest_ = oldest;
  }

  int bucket_count() const { return static_cast<int>(buckets_.size()); }

 private:
  std::vector<IdMap<V>> buckets_;
  std::size_t newest_ = 0;
};

}  // namespace gale
