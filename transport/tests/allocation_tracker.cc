// Kept in its own file: the replaced operators must not be inlined into their callers.
#include "allocation_tracker.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> tracking{false};
std::atomic<std::size_t> largest{0};

}  // namespace

namespace {

void* tracked_malloc(std::size_t n) noexcept {
  if (tracking.load(std::memory_order_relaxed)) {
    std::size_t seen = largest.load(std::memory_order_relaxed);
    while (n > seen && !largest.compare_exchange_weak(seen, n)) {
    }
  }
  return std::malloc(n == 0 ? 1 : n);
}

void* tracked_new(std::size_t n) {
  if (void* p = tracked_malloc(n)) return p;
  throw std::bad_alloc();
}

}  // namespace

// The whole unaligned family, so that every pair matches (AddressSanitizer checks).
void* operator new(std::size_t n) {
  return tracked_new(n);
}
void* operator new[](std::size_t n) {
  return tracked_new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return tracked_malloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return tracked_malloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace gale::transport::testing {

LargestAllocation::LargestAllocation() {
  largest = 0;
  tracking = true;
}
LargestAllocation::~LargestAllocation() {
  tracking = false;
}
std::size_t LargestAllocation::bytes() const {
  return largest.load();
}

}  // namespace gale::transport::testing
