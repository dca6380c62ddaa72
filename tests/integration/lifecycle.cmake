# End-to-end tests of airlockd with real runc, driven from Python (python3-grpcio).
set(AIRLOCK_PY /usr/bin/python3)
foreach(suite test_lifecycle test_restart test_exec_sync test_cli)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${suite}.py)
    add_test(NAME integration.${suite}
             COMMAND ${AIRLOCK_PY} -m unittest -v ${suite}
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(integration.${suite} PROPERTIES
      ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};PYTHONDONTWRITEBYTECODE=1"
      TIMEOUT 900 LABELS "integration;root")
  endif()
endforeach()
