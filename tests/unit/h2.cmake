# HTTP/2 transport: a client-side nghttp2 session in the test talks to H2Transport through
# memory buffers (prior knowledge, h2c upgrade, flow control, and each attack we refuse).
if(NOT TARGET PkgConfig::NGHTTP2)
  pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET GLOBAL libnghttp2>=1.52)
endif()
add_executable(h2_transport_test ${CMAKE_CURRENT_LIST_DIR}/h2_transport_test.cc)
target_link_libraries(h2_transport_test PRIVATE airlock_streaming PkgConfig::NGHTTP2
                      GTest::gtest_main)
gtest_discover_tests(h2_transport_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
add_executable(h2_transport_attack_test ${CMAKE_CURRENT_LIST_DIR}/h2_transport_attack_test.cc)
target_link_libraries(h2_transport_attack_test PRIVATE airlock_streaming PkgConfig::NGHTTP2
                      GTest::gtest_main)
gtest_discover_tests(h2_transport_attack_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
