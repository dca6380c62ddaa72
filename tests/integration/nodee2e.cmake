# The node exec API end to end (issue #6): a real airlockd with TLS, client certificates, the
# node API, a token file and a policy; `airlock --server https://...` on all three transports,
# a raw SPDY upgrade over TLS, websocket-client over wss; the audit log and an asciicast
# recording replayed by asciinema. Needs root (runc), openssl, tmux, asciinema.
add_test(NAME integration.test_node_api
         COMMAND /usr/bin/python3 -m unittest -v test_node_api
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
set_tests_properties(integration.test_node_api PROPERTIES
  ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};PYTHONDONTWRITEBYTECODE=1"
  RUN_SERIAL TRUE TIMEOUT 600 LABELS "integration;root")
