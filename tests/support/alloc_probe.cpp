// The global operator new replacement behind AllocationProbe (see alloc_probe.hpp). It only
// counts: memory comes from malloc and goes back to free, as libstdc++'s own does.
#include "support/alloc_probe.hpp"

#include <cstdlib>
#include <new>

namespace {

bool g_active = false;
std::size_t g_count = 0;
std::size_t g_largest = 0;

}  // namespace

namespace rpctrace::testsupport {

AllocationProbe::AllocationProbe() {
  g_count = 0;
  g_largest = 0;
  g_active = true;
}
AllocationProbe::~AllocationProbe() { g_active = false; }
std::size_t AllocationProbe::count() const { return g_count; }
std::size_t AllocationProbe::largest() const { return g_largest; }

}  // namespace rpctrace::testsupport

// operator new[] and the nothrow forms call this one; the matching deletes call free().
void* operator new(std::size_t n) {
  if (g_active) {
    ++g_count;
    if (n > g_largest) g_largest = n;
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
