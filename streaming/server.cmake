# The streaming server proper: listener, connections, the remotecommand and port-forward
# sessions on top of the StreamTransport adapters.
target_sources(airlock_streaming PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/connection.cc
  ${CMAKE_CURRENT_LIST_DIR}/h2_router.cc
  ${CMAKE_CURRENT_LIST_DIR}/session_factory.cc
  ${CMAKE_CURRENT_LIST_DIR}/port_forward_session.cc
  ${CMAKE_CURRENT_LIST_DIR}/remote_command_session.cc
  ${CMAKE_CURRENT_LIST_DIR}/remotecommand_status.cc
  ${CMAKE_CURRENT_LIST_DIR}/resize_decoder.cc
  ${CMAKE_CURRENT_LIST_DIR}/socket_io.cc
  ${CMAKE_CURRENT_LIST_DIR}/stream_server.cc)
target_link_libraries(airlock_streaming PRIVATE nlohmann_json::nlohmann_json OpenSSL::SSL)
