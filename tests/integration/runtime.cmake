# Real runc, real monitor, real busybox container. Needs root; skips itself otherwise.
find_program(AIRLOCK_RUNC runc PATHS /usr/sbin /usr/bin /sbin)
add_executable(oci_runtime_test ${CMAKE_CURRENT_SOURCE_DIR}/integration/oci_runtime_test.cc)
target_link_libraries(oci_runtime_test PRIVATE airlock_runtime nlohmann_json::nlohmann_json
                      GTest::gtest_main)
add_dependencies(oci_runtime_test airlock-monitor airlock-pause)
target_compile_definitions(oci_runtime_test PRIVATE
  AIRLOCK_MONITOR_PATH="$<TARGET_FILE:airlock-monitor>"
  AIRLOCK_PAUSE_PATH="$<TARGET_FILE:airlock-pause>"
  AIRLOCK_RUNC_PATH="${AIRLOCK_RUNC}"
  AIRLOCK_BUSYBOX_PATH="/bin/busybox")
gtest_discover_tests(oci_runtime_test PROPERTIES LABELS "integration;root" TIMEOUT 120)
