# The .deb/.rpm end to end: builds them through the `packages` target, installs the .deb into
# this machine, runs and purges it (test_package.py). RUN_SERIAL: while the package is
# installed, any airlockd started without --config would read /etc/airlock/airlock.toml.
if(TARGET packages AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_package.py)
  add_test(NAME integration.test_package
           COMMAND /usr/bin/python3 -m unittest -v test_package
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(integration.test_package PROPERTIES
    ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1"
    TIMEOUT 1800 RUN_SERIAL TRUE LABELS "integration;root;package")
endif()
