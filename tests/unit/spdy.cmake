# SPDY/3.1 codec unit tests: frame layouts, header blocks and compression, session codec.
find_package(ZLIB REQUIRED)
add_executable(spdy_unit_test
  ${CMAKE_CURRENT_LIST_DIR}/spdy_frame_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/spdy_header_block_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/spdy_session_codec_test.cc)
target_link_libraries(spdy_unit_test PRIVATE airlock_streaming ZLIB::ZLIB GTest::gtest_main)
gtest_discover_tests(spdy_unit_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
