# Unit tests of airlockd's own pieces (config, flags), and the layering rule of DESIGN.md §2.
add_executable(config_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/config_test.cc
               ${PROJECT_SOURCE_DIR}/shim/daemon/flags.cc)
target_compile_definitions(config_test PRIVATE AIRLOCK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(config_test PRIVATE airlock_config GTest::gtest_main)
gtest_discover_tests(config_test PROPERTIES LABELS unit)

add_test(NAME layering.includes_follow_design
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/unit/check_layering.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(layering.includes_follow_design PROPERTIES LABELS unit)
