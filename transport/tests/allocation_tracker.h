#pragma once
// Measures the largest single allocation made through operator new while a tracker is alive.
// Linking allocation_tracker.cc replaces the global operator new/delete of the test binary.
#include <cstddef>

namespace gale::transport::testing {

class LargestAllocation {
 public:
  LargestAllocation();   // starts tracking, from zero
  ~LargestAllocation();  // stops tracking
  LargestAllocation(const LargestAllocation&) = delete;
  LargestAllocation& operator=(const LargestAllocation&) = delete;

  std::size_t bytes() const;  // so far
};

}  // namespace gale::transport::testing
