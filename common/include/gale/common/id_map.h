#pragma once
// Open-addressing hash map from a non-zero random 64-bit id to V, for the acker's and the
// spouts' pending tuple trees: linear probing with backward-shift deletion (no tombstones),
// ids and values in two arrays, a load kept between 0.64 and 0.8. Key 0 marks an empty slot.
// Single-threaded.
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace gale {

// Large tables straight from the kernel: returned to it when freed, so that a table that grew
// does not leave its smaller predecessors resident in the heap (glibc keeps freed blocks below
// its dynamic mmap threshold, up to 32 MiB).
template <typename T>
struct TableAllocator {
  using value_type = T;
  static constexpr std::size_t kMmapBytes = 256 * 1024;
  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) {}
  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes < kMmapBytes) return std::allocator<T>().allocate(n);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes < kMmapBytes) return std::allocator<T>().deallocate(p, n);
    ::munmap(p, bytes);
  }
  template <typename U>
  bool operator==(const TableAllocator<U>&) const {
    return true;
  }
};

template <typename V>
class IdMap {
 public:
  explicit IdMap(std::size_t initial_capacity = 64) {
    rehash(std::max(kMinCapacity, initial_capacity));
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Inserts a default V for a new id. Returns the value and whether it was inserted.
  std::pair<V*, bool> try_emplace(std::uint64_t id) {
    if ((size_ + 1) * kMaxLoadDen > ids_.size() * kMaxLoadNum) rehash(grown());
    std::size_t i = home(id);
    while (ids_[i] != 0) {
      if (ids_[i] == id) return {&values_[i], false};
      i = next(i);
    }
    ids_[i] = id;
    values_[i] = V{};
    ++size_;
    return {&values_[i], true};
  }

  V* find(std::uint64_t id) {
    std::size_t i = home(id);
    while (ids_[i] != 0) {
      if (ids_[i] == id) return &values_[i];
      i = next(i);
    }
    return nullptr;
  }

  // Removes `id`, moving its value into `out`. False when absent.
  bool take(std::uint64_t id, V& out) {
    std::size_t i = home(id);
    while (ids_[i] != id) {
      if (ids_[i] == 0) return false;
      i = next(i);
    }
    out = std::move(values_[i]);
    erase_at(i);
    return true;
  }

  template <typename F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] != 0) f(ids_[i], values_[i]);
  }

  void clear() {
    std::fill(ids_.begin(), ids_.end(), 0);
    size_ = 0;
  }

 private:
  // Load stays between 0.64 and 0.8: the table grows by a quarter at 0.8, so that memory per
  // entry stays near 1.25-1.6 slots (a power-of-two table would swing between 1.33 and 2.67).
  static constexpr std::size_t kMaxLoadNum = 4, kMaxLoadDen = 5;
  static constexpr std::size_t kMinCapacity = 16;

  // Any capacity, not only powers of two: the (mixed) id scaled into [0, capacity).
  std::size_t home(std::uint64_t id) const {
    std::uint64_t h = id * 0x9e3779b97f4a7c15ULL;  // ids are random; this guards against others
    return static_cast<std::size_t>((static_cast<unsigned __int128>(h) * ids_.size()) >> 64);
  }
  std::size_t next(std::size_t i) const { return i + 1 == ids_.size() ? 0 : i + 1; }
  std::size_t grown() const { return ids_.size() + std::max(kMinCapacity, ids_.size() / 4); }

  void erase_at(std::size_t hole) {
    // Backward shift: pull later entries of the probe run into the hole.
    std::size_t i = hole;
    for (;;) {
      i = next(i);
      if (ids_[i] == 0) break;
      std::size_t h = home(ids_[i]);
      bool movable = hole <= i ? (h <= hole || h > i) : (h <= hole && h > i);
      if (movable) {
        ids_[hole] = ids_[i];
        values_[hole] = std::move(values_[i]);
        hole = i;
      }
    }
    ids_[hole] = 0;
    --size_;
  }

  void rehash(std::size_t capacity) {
    Ids old_ids(capacity, 0);
    Values old_values(capacity);
    old_ids.swap(ids_);
    old_values.swap(values_);
    size_ = 0;
    for (std::size_t i = 0; i < old_ids.size(); ++i) {
      if (old_ids[i] == 0) continue;
      auto [v, inserted] = try_emplace(old_ids[i]);
      *v = std::move(old_values[i]);
    }
  }

  // Ids and values apart (probing reads only ids; a packed value needs no padding).
  using Ids = std::vector<std::uint64_t, TableAllocator<std::uint64_t>>;
  using Values = std::vector<V, TableAllocator<V>>;
  Ids ids_;  // 0: empty
  Values values_;
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
