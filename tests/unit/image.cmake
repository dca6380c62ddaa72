# Image store tests: reference parsing, safe layer unpacking, archive import end to end.
# The store tests build their busybox archives with scripts/make-test-image.py.
foreach(t image_reference image_layer_unpack image_store)
  add_executable(${t}_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/${t}_test.cc)
  target_link_libraries(${t}_test PRIVATE airlock_image PkgConfig::LIBARCHIVE GTest::gtest_main)
  target_compile_definitions(${t}_test PRIVATE
    AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${t}_test DISCOVERY_TIMEOUT 30)
endforeach()
