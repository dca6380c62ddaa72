# Unit tests of the runtime part (shim/monitor, shim/runtime): pure code, no root.
add_executable(cri_log_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/cri_log_test.cc)
target_link_libraries(cri_log_test PRIVATE airlock_cri_log GTest::gtest_main)
gtest_discover_tests(cri_log_test)
