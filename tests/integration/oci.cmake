# Real-runc check of the OCI specs from shim/oci (root only; skips itself otherwise).
if(TARGET airlock_oci AND TARGET airlock-pause AND NOT AIRLOCK_SANITIZE)
  add_executable(oci_spec_runc_test ${CMAKE_CURRENT_LIST_DIR}/oci_spec_runc_test.cc)
  target_link_libraries(oci_spec_runc_test PRIVATE airlock_oci GTest::gtest_main)
  target_compile_definitions(oci_spec_runc_test PRIVATE
    AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    AIRLOCK_PAUSE_BINARY="$<TARGET_FILE:airlock-pause>")
  add_dependencies(oci_spec_runc_test airlock-pause)
  gtest_discover_tests(oci_spec_runc_test DISCOVERY_MODE PRE_TEST)
endif()
