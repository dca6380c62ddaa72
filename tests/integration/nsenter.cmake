# Exec engine against a real runc container (root only; skips itself otherwise).
add_executable(nsenter_exec_test ${CMAKE_CURRENT_LIST_DIR}/nsenter_exec_test.cc)
target_link_libraries(nsenter_exec_test PRIVATE airlock_nsenter GTest::gtest_main)
gtest_discover_tests(nsenter_exec_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS integration TIMEOUT 300)
