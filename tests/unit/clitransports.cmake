# `airlock exec --transport websocket|spdy`: the clients against the streaming server's own
# codecs, in memory and through RunExecSession over a socketpair. No root.
add_executable(cli_ws_spdy_client_test ${CMAKE_CURRENT_LIST_DIR}/cli_ws_spdy_client_test.cc)
target_include_directories(cli_ws_spdy_client_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(cli_ws_spdy_client_test PRIVATE airlock_cli_stream airlock_streaming
                      GTest::gtest_main)
gtest_discover_tests(cli_ws_spdy_client_test PROPERTIES LABELS unit TIMEOUT 60)
