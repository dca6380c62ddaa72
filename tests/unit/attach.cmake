# CRI Attach pieces without a container: the monitor's fan-out and control socket, and the
# shim's client of it (compiled in directly, so this test does not need all of airlockd).
add_executable(monitor_attach_test ${CMAKE_CURRENT_LIST_DIR}/monitor_attach_test.cc
               ${PROJECT_SOURCE_DIR}/shim/stream/attach_client.cc)
target_link_libraries(monitor_attach_test PRIVATE airlock_monitor_attach airlock_streaming
                      airlock_base spdlog::spdlog GTest::gtest_main)
gtest_discover_tests(monitor_attach_test PROPERTIES LABELS unit)
