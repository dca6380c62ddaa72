# Streaming HTTP/1.1 head parsing, upgrade negotiation, token cache and WebSocket framing.
add_executable(ws_unit_test
  ${CMAKE_CURRENT_LIST_DIR}/http_request_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/upgrade_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/request_cache_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/websocket_codec_test.cc)
target_link_libraries(ws_unit_test PRIVATE airlock_streaming GTest::gtest_main)
gtest_discover_tests(ws_unit_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
