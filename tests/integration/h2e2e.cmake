# The streaming server over HTTP/2 (nghttp, curl, python3-h2; flow control; attacks) and CRI
# Attach end to end over SPDY (the Go peer), WebSocket and HTTP/2, against a real airlockd and
# real runc containers. Needs root. The Go peer is the remotecommand_peer_client target of
# peers.cmake (this file is included first, so the path is spelled out here).
foreach(suite test_stream_h2 test_stream_attach)
  add_test(NAME integration.${suite}
           COMMAND /usr/bin/python3 -m unittest -v ${suite}
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(integration.${suite} PROPERTIES
    ENVIRONMENT "AIRLOCK_BUILD_DIR=${CMAKE_BINARY_DIR};AIRLOCK_SANITIZE=${AIRLOCK_SANITIZE};AIRLOCK_REMOTECOMMAND_PEER=${CMAKE_CURRENT_BINARY_DIR}/remotecommand_peer;PYTHONDONTWRITEBYTECODE=1"
    # 1 GiB through a paused reader and daemon RSS/fd/thread counts: alone on the machine.
    RUN_SERIAL TRUE TIMEOUT 900 LABELS "integration;root")
endforeach()
