# `airlock exec` over the streaming server: real airlockd, real runc, busybox; -it in tmux.
add_test(NAME integration.test_cli_exec
         COMMAND /usr/bin/python3 -m unittest -v test_cli_exec
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(integration.test_cli_exec PROPERTIES
  ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 600 LABELS "integration;root")
