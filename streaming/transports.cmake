# StreamTransport adapters for SPDY/3.1 and WebSocket (the HTTP/2 one lives with its codec).
# Both sit on codecs already in airlock_streaming and need no further libraries.
target_sources(airlock_streaming PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/spdy_transport.cc
  ${CMAKE_CURRENT_LIST_DIR}/websocket_transport.cc)
