# The streaming sessions (remotecommand) with a recording transport and a pipe-backed runtime.
add_executable(remote_command_session_test ${CMAKE_CURRENT_LIST_DIR}/remote_command_session_test.cc)
target_link_libraries(remote_command_session_test PRIVATE airlock_streaming GTest::gtest_main)
gtest_discover_tests(remote_command_session_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
