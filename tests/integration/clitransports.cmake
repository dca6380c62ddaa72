# `airlock exec --transport spdy|websocket` over the streaming server: real airlockd, real
# runc, busybox; compared with the default h2 transport; -it in tmux.
add_test(NAME integration.test_cli_exec_transports
         COMMAND /usr/bin/python3 -m unittest -v test_cli_exec_transports
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(integration.test_cli_exec_transports PROPERTIES
  ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};PYTHONDONTWRITEBYTECODE=1"
  TIMEOUT 600 LABELS "integration;root")
