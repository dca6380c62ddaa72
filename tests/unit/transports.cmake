# The SPDY and WebSocket StreamTransport adapters, driven by client bytes built in the test.
add_executable(stream_transport_test ${CMAKE_CURRENT_LIST_DIR}/stream_transport_test.cc)
target_link_libraries(stream_transport_test PRIVATE airlock_streaming GTest::gtest_main)
gtest_discover_tests(stream_transport_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
