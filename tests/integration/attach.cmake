# CRI Attach against real containers: runc + airlock-monitor + busybox, attached to through
# the shim's AttachToContainer. Needs root; skips itself otherwise.
find_program(AIRLOCK_RUNC runc PATHS /usr/sbin /usr/bin /sbin)
add_executable(monitor_attach_integration_test
               ${CMAKE_CURRENT_LIST_DIR}/monitor_attach_test.cc
               ${PROJECT_SOURCE_DIR}/shim/stream/attach_client.cc)
target_link_libraries(monitor_attach_integration_test PRIVATE airlock_runtime airlock_streaming
                      airlock_base spdlog::spdlog nlohmann_json::nlohmann_json GTest::gtest_main)
add_dependencies(monitor_attach_integration_test airlock-monitor)
target_compile_definitions(monitor_attach_integration_test PRIVATE
  AIRLOCK_MONITOR_PATH="$<TARGET_FILE:airlock-monitor>"
  AIRLOCK_RUNC_PATH="${AIRLOCK_RUNC}"
  AIRLOCK_BUSYBOX_PATH="/bin/busybox")
gtest_discover_tests(monitor_attach_integration_test
                     PROPERTIES LABELS "integration;root" TIMEOUT 180)

