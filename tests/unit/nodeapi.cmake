# The node exec API (issue #6): token file, query and path rules, policy, audit log,
# asciicast recording, and the whole Authorize flow with a fake resolver.
if(TARGET airlock_nodeapi)
  foreach(t nodeapi_token_file nodeapi_query nodeapi_policy nodeapi_audit_log nodeapi_asciicast
            nodeapi_impl)
    add_executable(${t}_test ${CMAKE_CURRENT_LIST_DIR}/${t}_test.cc)
    target_link_libraries(${t}_test PRIVATE airlock_nodeapi nlohmann_json::nlohmann_json
                          GTest::gtest_main)
    target_compile_definitions(${t}_test PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${t}_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
  endforeach()
endif()
if(TARGET airlock_nodeapi_runtime)
  add_executable(nodeapi_resolver_test ${CMAKE_CURRENT_LIST_DIR}/nodeapi_resolver_test.cc)
  target_link_libraries(nodeapi_resolver_test PRIVATE airlock_nodeapi_runtime GTest::gtest_main)
  gtest_discover_tests(nodeapi_resolver_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
