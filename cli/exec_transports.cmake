# The WebSocket and SPDY/3.1 clients of `airlock exec --transport websocket|spdy`. They reuse
# airlock_streaming's SPDY framing and header compression, base64 and Sec-WebSocket-Accept;
# Boost.Beast (header-only) parses the 101 answer and wslay frames WebSocket in client mode.
find_package(Boost 1.74 REQUIRED)
find_path(WSLAY_INCLUDE_DIR wslay/wslay.h REQUIRED)
find_library(WSLAY_LIBRARY wslay REQUIRED)
target_sources(airlock_cli_stream PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/http_upgrade.cc
  ${CMAKE_CURRENT_LIST_DIR}/spdy_exec_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/ws_exec_client.cc)
target_include_directories(airlock_cli_stream PRIVATE ${WSLAY_INCLUDE_DIR})
target_link_libraries(airlock_cli_stream PUBLIC airlock_streaming
                      PRIVATE Boost::headers ${WSLAY_LIBRARY})
