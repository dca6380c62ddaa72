# Wire facts of proto/api.proto (method paths, field numbers, enum numbers) and a gRPC round
# trip with hand-encoded bytes. No root, no daemon.
add_executable(proto_wire_test ${CMAKE_CURRENT_LIST_DIR}/proto_wire_test.cc)
target_link_libraries(proto_wire_test PRIVATE airlock_proto GTest::gtest_main)
gtest_discover_tests(proto_wire_test PROPERTIES LABELS unit)
