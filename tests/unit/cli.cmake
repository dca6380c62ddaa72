# Unit tests for the airlock CLI.
# cli_unit_tests: the pure parts (no gRPC, no daemon, no root).
add_executable(cli_unit_tests
  ${CMAKE_CURRENT_LIST_DIR}/cli_args_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_table_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_tar_sniff_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_cri_log_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_resolve_test.cc
)
target_link_libraries(cli_unit_tests PRIVATE airlock_cli_core GTest::gtest_main)
gtest_discover_tests(cli_unit_tests PROPERTIES LABELS unit)

# cli_verbs_tests: the real airlock binary against an in-process fake CRI server on a temp
# unix socket (and the request builders of `run`).
add_executable(cli_verbs_tests
  ${CMAKE_CURRENT_LIST_DIR}/cli_fake_cri_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_run_spec_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_verbs_test.cc
)
target_link_libraries(cli_verbs_tests PRIVATE airlock_cli_cri GTest::gtest_main)
target_compile_definitions(cli_verbs_tests PRIVATE AIRLOCK_CLI_BINARY="$<TARGET_FILE:airlock>")
add_dependencies(cli_verbs_tests airlock)
gtest_discover_tests(cli_verbs_tests PROPERTIES LABELS unit)
