# The shim's streaming side end to end: ShimStreamRuntime against a real runc container
# (C++, root; skips itself otherwise), and the CRI Exec/Attach/PortForward calls against a
# real airlockd (Python, python3-grpcio).
if(TARGET airlock_stream)
  add_executable(stream_runtime_exec_test ${CMAKE_CURRENT_LIST_DIR}/stream_runtime_exec_test.cc)
  target_link_libraries(stream_runtime_exec_test PRIVATE airlock_stream
                        nlohmann_json::nlohmann_json GTest::gtest_main)
  gtest_discover_tests(stream_runtime_exec_test DISCOVERY_TIMEOUT 30
                       PROPERTIES LABELS "integration;root" TIMEOUT 300)
endif()

if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_stream_rpcs.py)
  add_test(NAME integration.test_stream_rpcs
           COMMAND /usr/bin/python3 -m unittest -v test_stream_rpcs
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(integration.test_stream_rpcs PROPERTIES
    ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};PYTHONDONTWRITEBYTECODE=1"
    TIMEOUT 600 LABELS "integration;root")
endif()
