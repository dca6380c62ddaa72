# shim/oci unit tests: golden specs (testdata/oci/*.json) and the building blocks.
if(TARGET airlock_oci)
  foreach(t oci_spec_test oci_parts_test)
    add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.cc)
    target_link_libraries(${t} PRIVATE airlock_oci GTest::gtest_main)
    target_compile_definitions(${t} PRIVATE
      AIRLOCK_OCI_TESTDATA="${CMAKE_CURRENT_LIST_DIR}/testdata/oci"
      AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${t})
  endforeach()
endif()
