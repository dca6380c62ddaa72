"""WebSocket exec framing against a real peer: Debian's python3-websocket (websocket-client,
the library python3-kubernetes' kubernetes.stream uses) talks to ws_echo_server, a loopback
server built on airlock's streaming codecs (head parser, upgrade negotiation, wslay channel
codec). Checks what a client sees: the negotiated subprotocol, the empty ready message, the
echo of stdin on stdout, the status on channel 3 and a clean close (mission-anchors §3.8)."""

import base64
import json
import os
import subprocess
import unittest

import websocket
from websocket import ABNF


def server_path():
    path = os.environ.get("AIRLOCK_WS_ECHO_SERVER")
    if not path:
        build = os.environ.get("AIRLOCK_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
        path = os.path.join(build, "tests", "ws_echo_server")
    return path


class EchoServer:
    def __init__(self, *args):
        self.proc = subprocess.Popen([server_path(), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError("ws_echo_server did not start: %r %s" % (line, self.proc.stderr.read()))
        self.url = "ws://127.0.0.1:%d/exec/Ab3_xY-9Qk" % int(line.split()[1])

    def finish(self):
        """Exit status and stderr of the server, once it has ended the session."""
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        err = self.proc.stderr.read()
        self.close()
        return rc, err

    def close(self):
        """Kills a server a failed test left running and closes its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def as_bytes(data):
    return data.encode() if isinstance(data, str) else bytes(data)


class WebSocketPeerTest(unittest.TestCase):
    def start(self, *args):
        server = EchoServer(*args)
        self.addCleanup(server.close)
        return server

    def connect(self, server, protocols):
        ws = websocket.create_connection(server.url, subprotocols=protocols, timeout=20)
        self.addCleanup(ws.close)
        return ws

    def recv(self, ws):
        opcode, data = ws.recv_data()
        return opcode, as_bytes(data)

    def expect_close(self, ws, server):
        # recv_data_frame answers the server's close frame with ours.
        opcode, frame = ws.recv_data_frame(True)
        self.assertEqual(opcode, ABNF.OPCODE_CLOSE)
        self.assertEqual(frame.data[:2], b"\x03\xe8", "close status 1000")
        rc, err = server.finish()
        self.assertEqual(rc, 0, err)
        return err

    def test_v4_binary_ready_echo_and_success_status(self):
        server = self.start("--echo", "2")
        ws = self.connect(server, ["v4.channel.k8s.io"])
        self.assertEqual(ws.subprotocol, "v4.channel.k8s.io")

        # Ready: an empty message on stdout, the lowest writable channel.
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01"))

        ws.send_binary(b"\x00hello from stdin\n")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01hello from stdin\n"))

        # A ping is answered with a pong carrying its payload.
        ws.ping(b"are-you-there")
        opcode, frame = ws.recv_data_frame(True)
        self.assertEqual(opcode, ABNF.OPCODE_PONG)
        self.assertEqual(frame.data, b"are-you-there")

        # A fragmented message (3 frames, 100 KiB) is echoed whole.
        payload = bytes(range(256)) * 400
        ws.send_frame(ABNF.create_frame(b"\x00" + payload[:1000], ABNF.OPCODE_BINARY, fin=0))
        ws.send_frame(ABNF.create_frame(payload[1000:50000], ABNF.OPCODE_CONT, fin=0))
        ws.send_frame(ABNF.create_frame(payload[50000:], ABNF.OPCODE_CONT, fin=1))
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01" + payload))

        opcode, status = self.recv(ws)
        self.assertEqual(opcode, ABNF.OPCODE_BINARY)
        self.assertEqual(status[:1], b"\x03")
        self.assertEqual(json.loads(status[1:]), {"metadata": {}, "status": "Success"})
        self.expect_close(ws, server)

    def test_base64_text_framing_and_failure_text(self):
        server = self.start("--echo", "1", "--exit-code", "3")
        ws = self.connect(server, ["base64.channel.k8s.io"])
        self.assertEqual(ws.subprotocol, "base64.channel.k8s.io")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_TEXT, b"1"))

        data = b"\x00\xffbinary stdin\n"
        ws.send("0" + base64.b64encode(data).decode())
        opcode, echo = self.recv(ws)
        self.assertEqual(opcode, ABNF.OPCODE_TEXT)
        self.assertEqual(echo[:1], b"1")
        self.assertEqual(base64.b64decode(echo[1:], validate=True), data)

        # v1 semantics (no "v4." prefix): the status is plain text, sent only on failure.
        opcode, status = self.recv(ws)
        self.assertEqual(opcode, ABNF.OPCODE_TEXT)
        self.assertEqual(status[:1], b"3")
        self.assertEqual(base64.b64decode(status[1:], validate=True).decode(),
                         "command terminated with non-zero exit code: error executing command "
                         "[echo], exit code 3")
        self.expect_close(ws, server)

    def test_v4_failure_status_carries_the_exit_code(self):
        server = self.start("--echo", "1", "--exit-code", "42")
        ws = self.connect(server, ["v4.channel.k8s.io"])
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01"))
        ws.send_binary(b"\x00x")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01x"))
        _, status = self.recv(ws)
        doc = json.loads(status[1:])
        self.assertEqual(doc["status"], "Failure")
        self.assertEqual(doc["reason"], "NonZeroExitCode")
        self.assertEqual(doc["details"]["causes"], [{"reason": "ExitCode", "message": "42"}])
        self.expect_close(ws, server)

    def test_v5_close_signal_ends_stdin(self):
        server = self.start("--echo", "100")
        ws = self.connect(server, ["v5.channel.k8s.io", "v4.channel.k8s.io"])
        self.assertEqual(ws.subprotocol, "v5.channel.k8s.io")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01"))
        ws.send_binary(b"\x00last line\n")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01last line\n"))
        ws.send_binary(b"\xff\x00")  # CLOSE signal for stdin
        _, status = self.recv(ws)
        self.assertEqual(json.loads(status[1:])["status"], "Success")
        err = self.expect_close(ws, server)
        self.assertIn("echoed=1", err)

    def test_client_order_decides_the_subprotocol(self):
        server = self.start()
        ws = self.connect(server, ["v4.base64.channel.k8s.io", "v4.channel.k8s.io"])
        self.assertEqual(ws.subprotocol, "v4.base64.channel.k8s.io")
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_TEXT, b"1"))
        ws.send("0" + base64.b64encode(b"hi").decode())
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_TEXT, b"1" + base64.b64encode(b"hi")))
        _, status = self.recv(ws)
        self.assertEqual(json.loads(base64.b64decode(status[1:])), {"metadata": {}, "status": "Success"})
        self.expect_close(ws, server)

    def test_unsupported_subprotocol_is_refused_with_403(self):
        server = self.start()
        with self.assertRaises(websocket.WebSocketBadStatusException) as caught:
            websocket.create_connection(server.url, subprotocols=["v3.channel.k8s.io"], timeout=20)
        self.assertEqual(caught.exception.status_code, 403)
        rc, err = server.finish()
        self.assertEqual(rc, 0, err)

    def test_unmasked_frame_is_a_protocol_error(self):
        server = self.start()
        ws = self.connect(server, ["v4.channel.k8s.io"])
        self.assertEqual(self.recv(ws), (ABNF.OPCODE_BINARY, b"\x01"))
        frame = ABNF.create_frame(b"\x00oops", ABNF.OPCODE_BINARY)
        frame.mask = 0  # a client must mask (RFC 6455 §5.1)
        ws.sock.sendall(frame.format())
        opcode, frame = ws.recv_data_frame(True)
        self.assertEqual(opcode, ABNF.OPCODE_CLOSE)
        self.assertEqual(frame.data[:2], (1002).to_bytes(2, "big"))
        rc, err = server.finish()
        self.assertEqual(rc, 1)
        self.assertIn("protocol", err)


if __name__ == "__main__":
    unittest.main()
