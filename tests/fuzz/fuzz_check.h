// FUZZ_CHECK: the invariant assertion of the fuzz targets.
//
// assert() vanishes under NDEBUG (RelWithDebInfo), and a fuzz target whose checks vanish can
// no longer fail; this one is always on. It prints the broken invariant and aborts, which
// libFuzzer and the plain driver both turn into a saved crash input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                             \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                  \
      std::fprintf(stderr, "\n");                                                         \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
