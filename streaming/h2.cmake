# HTTP/2 StreamTransport (issue #5): nghttp2 run on memory buffers. The imported target is
# GLOBAL so that the tests (and the CLI's client side) can link the same library.
if(NOT TARGET PkgConfig::NGHTTP2)
  pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET GLOBAL libnghttp2>=1.52)
endif()
target_sources(airlock_streaming PRIVATE ${CMAKE_CURRENT_LIST_DIR}/h2_transport.cc)
target_link_libraries(airlock_streaming PRIVATE PkgConfig::NGHTTP2)
