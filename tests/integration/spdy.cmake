# SpdyCodec against the real Go peer (moby/spdystream from golang-github-docker-spdystream-dev),
# built offline in GOPATH mode from Debian's /usr/share/gocode. No root needed.
add_executable(spdy_interop_test ${CMAKE_CURRENT_LIST_DIR}/spdy_interop_test.cc)
target_link_libraries(spdy_interop_test PRIVATE airlock_streaming GTest::gtest_main Threads::Threads)

find_program(AIRLOCK_GO_EXECUTABLE go)
if(AIRLOCK_GO_EXECUTABLE)
  set(AIRLOCK_SPDY_PEER_BIN ${CMAKE_CURRENT_BINARY_DIR}/spdy_peer)
  add_custom_command(
    OUTPUT ${AIRLOCK_SPDY_PEER_BIN}
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPATH=/usr/share/gocode
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/spdy_peer_gocache GOFLAGS=
            ${AIRLOCK_GO_EXECUTABLE} build -o ${AIRLOCK_SPDY_PEER_BIN} main.go
    WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/spdy_peer
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/spdy_peer/main.go
    COMMENT "Building the spdystream peer client (Go)")
  add_custom_target(spdy_peer_client DEPENDS ${AIRLOCK_SPDY_PEER_BIN})
  add_dependencies(spdy_interop_test spdy_peer_client)
  target_compile_definitions(spdy_interop_test PRIVATE AIRLOCK_SPDY_PEER="${AIRLOCK_SPDY_PEER_BIN}")
else()
  message(STATUS "go not found: spdy_interop_test will skip (install golang-go)")
endif()
gtest_discover_tests(spdy_interop_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS integration TIMEOUT 300)
