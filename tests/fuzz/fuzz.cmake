# Fuzz targets for every streaming parser (tests/fuzz/README.md).
#
# Default (any compiler): each target is linked with fuzz_driver.cc, a plain main() that runs
# the checked-in corpus plus a few seconds of seeded mutations; registered as unit tests, so
# the ASan/UBSan CI stage runs them too.
# -DAIRLOCK_FUZZ=ON (clang only, separate build dir): the same targets as libFuzzer binaries
# with coverage feedback, for long local runs; their tests only replay the corpus.
option(AIRLOCK_FUZZ "Build the fuzz targets as libFuzzer binaries (needs clang)" OFF)
set(AIRLOCK_FUZZ_SECONDS 3 CACHE STRING "Seconds of mutations per fuzz target in ctest")

set(AIRLOCK_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(AIRLOCK_FUZZ_TARGETS
  spdy_codec spdy_codec_stream spdy_header_block http_request
  ws_channel_binary ws_channel_base64 channel_message)
# The resize decoder target only once the library has the decoder.
get_target_property(AIRLOCK_FUZZ_STREAMING_SOURCES airlock_streaming SOURCES)
if(AIRLOCK_FUZZ_STREAMING_SOURCES MATCHES "resize_decoder\\.cc")
  list(APPEND AIRLOCK_FUZZ_TARGETS resize_decoder)
endif()

if(AIRLOCK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "AIRLOCK_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage instrumentation for the code under test; -fsanitize=fuzzer on the targets adds
  # libFuzzer's main.
  target_compile_options(airlock_streaming PRIVATE -fsanitize=fuzzer-no-link)
endif()

foreach(target ${AIRLOCK_FUZZ_TARGETS})
  add_executable(fuzz_${target} ${AIRLOCK_FUZZ_DIR}/${target}_fuzz.cc)
  target_link_libraries(fuzz_${target} PRIVATE airlock_streaming)
  set(corpus ${AIRLOCK_FUZZ_DIR}/corpus/${target})
  if(AIRLOCK_FUZZ)
    target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    # libFuzzer writes new inputs into its first corpus directory: give it none here, only
    # the checked-in files, so the test replays them without touching the source tree.
    file(GLOB seeds ${corpus}/*)
    add_test(NAME fuzz_${target} COMMAND fuzz_${target} -runs=0 ${seeds})
  else()
    target_sources(fuzz_${target} PRIVATE ${AIRLOCK_FUZZ_DIR}/fuzz_driver.cc)
    add_test(NAME fuzz_${target}
             COMMAND fuzz_${target} --seconds=${AIRLOCK_FUZZ_SECONDS}
                     --artifact-prefix=${CMAKE_CURRENT_BINARY_DIR}/ ${corpus})
  endif()
  set_tests_properties(fuzz_${target} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
  list(APPEND AIRLOCK_FUZZ_BINARIES fuzz_${target})
endforeach()

# Regenerates the seeds that need real zlib streams or masked frames (plain build only: it
# has no libFuzzer runtime for the instrumented library).
if(NOT AIRLOCK_FUZZ)
  add_executable(fuzz_make_seeds ${AIRLOCK_FUZZ_DIR}/make_seeds.cc)
  target_link_libraries(fuzz_make_seeds PRIVATE airlock_streaming)
  list(APPEND AIRLOCK_FUZZ_BINARIES fuzz_make_seeds)
endif()
add_custom_target(fuzz_targets DEPENDS ${AIRLOCK_FUZZ_BINARIES})
