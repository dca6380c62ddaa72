# The streaming server against real peer clients (issue #4): remotecommand_peer, a client-go-like
# SPDY remotecommand/port-forward client on Debian's moby/spdystream (built offline in GOPATH
# mode, as spdy.cmake does), and python3-kubernetes / websocket-client for WebSocket. The tests
# run a real airlockd with real runc containers, so they need root.
find_program(AIRLOCK_GO_EXECUTABLE go)
set(AIRLOCK_REMOTECOMMAND_PEER_BIN ${CMAKE_CURRENT_BINARY_DIR}/remotecommand_peer)
set(AIRLOCK_PEER_SOURCES main.go status.go portforward.go)
list(TRANSFORM AIRLOCK_PEER_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/remotecommand_peer/
     OUTPUT_VARIABLE AIRLOCK_PEER_SOURCES_PATHS)
if(AIRLOCK_GO_EXECUTABLE)
  add_custom_command(
    OUTPUT ${AIRLOCK_REMOTECOMMAND_PEER_BIN}
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPATH=/usr/share/gocode
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/remotecommand_peer_gocache GOFLAGS=
            ${AIRLOCK_GO_EXECUTABLE} build -o ${AIRLOCK_REMOTECOMMAND_PEER_BIN} ${AIRLOCK_PEER_SOURCES}
    WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/remotecommand_peer
    DEPENDS ${AIRLOCK_PEER_SOURCES_PATHS}
    COMMENT "Building the remotecommand peer client (Go)")
  add_custom_target(remotecommand_peer_client ALL DEPENDS ${AIRLOCK_REMOTECOMMAND_PEER_BIN})
else()
  message(STATUS "go not found: the SPDY streaming tests will fail (install golang-go)")
endif()

foreach(suite test_stream_spdy test_stream_websocket)
  add_test(NAME integration.${suite}
           COMMAND /usr/bin/python3 -m unittest -v ${suite}
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(integration.${suite} PROPERTIES
    ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};AIRLOCK_REMOTECOMMAND_PEER=${AIRLOCK_REMOTECOMMAND_PEER_BIN};PYTHONDONTWRITEBYTECODE=1"
    # 500 concurrent execs and the timeout tests: alone on the machine.
    RUN_SERIAL TRUE TIMEOUT 900 LABELS "integration;root")
endforeach()
