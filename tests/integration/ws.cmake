# Real-peer WebSocket test: Debian's python3-websocket (websocket-client, what python3-kubernetes
# uses) against a loopback test server built on the streaming codecs. No root needed.
add_executable(ws_echo_server ${CMAKE_CURRENT_LIST_DIR}/ws_echo_server.cc)
target_link_libraries(ws_echo_server PRIVATE airlock_streaming)
add_test(NAME integration.test_ws_peer
         COMMAND /usr/bin/python3 -m unittest -v test_ws_peer
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(integration.test_ws_peer PROPERTIES
  ENVIRONMENT "AIRLOCK_WS_ECHO_SERVER=$<TARGET_FILE:ws_echo_server>;PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 120 LABELS integration)
