// AllocationProbe: counts the heap allocations made while it is alive, and the largest one,
// so a test can check a "no allocation" claim or that a hostile count was refused before
// anything of its size was allocated.
//
// The counting replaces the global operator new, which must be linked into the test
// executable itself: list support/alloc_probe.cpp in its add_rpctrace_test() SOURCES (it is
// not part of rpctrace_testsupport, since a static library member is only pulled in when
// something else needs it). Single-threaded use only, and one probe at a time.
#pragma once

#include <cstddef>

namespace rpctrace::testsupport {

class AllocationProbe {
 public:
  AllocationProbe();
  ~AllocationProbe();
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  // Calls of operator new (any form but the aligned ones) since construction.
  [[nodiscard]] std::size_t count() const;
  // The largest size requested since construction (0 when none).
  [[nodiscard]] std::size_t largest() const;
};

}  // namespace rpctrace::testsupport
