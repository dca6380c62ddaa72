# The shim's streaming side without root: request checks, config -> server options, and the
# runtime's refusals (tests/unit/stream_runtime_test.cc).
if(TARGET airlock_stream)
  add_executable(stream_runtime_test ${CMAKE_CURRENT_LIST_DIR}/stream_runtime_test.cc)
  target_link_libraries(stream_runtime_test PRIVATE airlock_stream GTest::gtest_main)
  gtest_discover_tests(stream_runtime_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
