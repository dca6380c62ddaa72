# The streaming exec client of `airlock exec` (cli/airlock_cli_stream) against an in-process
# nghttp2 server over loopback TCP, plus a real pty for raw mode and window sizes. No root.
add_executable(cli_exec_stream_test ${CMAKE_CURRENT_LIST_DIR}/cli_exec_stream_test.cc)
target_link_libraries(cli_exec_stream_test PRIVATE airlock_cli_stream GTest::gtest_main util)
gtest_discover_tests(cli_exec_stream_test PROPERTIES LABELS unit TIMEOUT 60)
