# Exec engine unit tests: spec parsing, name tables, PATH lookup, seccomp, exit codes.
add_executable(nsenter_unit_test
  ${CMAKE_CURRENT_LIST_DIR}/nsenter_spec_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/nsenter_seccomp_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/nsenter_path_test.cc)
target_link_libraries(nsenter_unit_test PRIVATE airlock_nsenter GTest::gtest_main)
gtest_discover_tests(nsenter_unit_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
