"""The streaming server over WebSocket against real peers (issue #4): python3-kubernetes' own
exec and port-forward clients (kubernetes.stream.ws_client, v4.channel.k8s.io) and raw
websocket-client sessions for v5 (stdin close signal), base64 framing, port-forward channels
and malformed frames. URLs come from the CRI Exec/PortForward calls of a real airlockd."""

import base64
import json
import os
import unittest

import websocket
from kubernetes.client import Configuration
from kubernetes.stream.ws_client import PortForward, WSClient, create_websocket, get_websocket_url
from websocket import ABNF

from harness import wait_for
from stream_util import (ECHO_PORT, HTTP_INDEX, HTTP_PORT, StreamFixture, connect, raw_request, read_head,
                         read_to_eof, websocket_upgrade_headers, ws_frame)

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def ws_url(url):
    return get_websocket_url(url)


class Session:
    """A raw websocket-client session that collects messages per channel until the close."""

    def __init__(self, url, protocol, text=False):
        self.text = text
        self.ws = websocket.create_connection(ws_url(url), subprotocols=[protocol] if protocol else None,
                                              timeout=30)
        self.messages = []  # (channel, payload) in arrival order
        self.close_code = None

    def send(self, channel, payload):
        if self.text:
            self.ws.send(chr(ord("0") + channel) + base64.b64encode(payload).decode(), ABNF.OPCODE_TEXT)
        else:
            self.ws.send(bytes([channel]) + payload, ABNF.OPCODE_BINARY)

    def recv_one(self):
        """One data message as (channel, payload); None once the server closed."""
        while True:
            try:
                opcode, data = self.ws.recv_data(control_frame=True)
            except websocket.WebSocketConnectionClosedException:
                return None
            if opcode == ABNF.OPCODE_CLOSE:
                self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                return None
            if opcode in (ABNF.OPCODE_PING, ABNF.OPCODE_PONG):
                continue
            if opcode == ABNF.OPCODE_TEXT:
                text = data.decode() if isinstance(data, bytes) else data
                message = (ord(text[0]) - ord("0"), base64.b64decode(text[1:]))
            else:
                message = (data[0], bytes(data[1:]))
            self.messages.append((opcode, message))
            return message

    def run_to_close(self):
        while self.recv_one() is not None:
            pass
        self.ws.close()
        return self

    def channel(self, ch):
        return b"".join(payload for _, (c, payload) in self.messages if c == ch)

    def opcodes(self):
        return {opcode for opcode, _ in self.messages}


class KubernetesClientTest(StreamFixture):
    """python3-kubernetes' WSClient, as `kubernetes.stream.stream(...)` would run it."""

    def client(self, url, **headers):
        return WSClient(Configuration(), ws_url(url), headers or None, True)

    def test_exec_echo_and_returncode(self):
        c = self.client(self.exec_url(["echo", "hello from ws"]))
        c.run_forever(timeout=30)
        self.assertFalse(c.is_open())
        self.assertEqual(c.returncode, 0)  # read_all() would drop the status channel too
        self.assertEqual(c.read_all(), "hello from ws\n")

    def test_exit_code_and_stderr(self):
        c = self.client(self.exec_url(["sh", "-c", "echo oops >&2; exit 7"]))
        c.run_forever(timeout=30)
        self.assertEqual(c.read_stderr(), "oops\n")
        self.assertEqual(c.returncode, 7)

    def test_stdin_without_close_signal(self):
        # v4 cannot signal stdin EOF: the command must stop reading by itself.
        c = self.client(self.exec_url(["head", "-c", "11"], stdin=True))
        c.write_stdin("hello world and more")
        c.run_forever(timeout=30)
        self.assertEqual(c.read_stdout(), "hello world")
        self.assertEqual(c.returncode, 0)

    def test_port_forward_http(self):
        url = self.pf_url(HTTP_PORT)
        pf = PortForward(create_websocket(Configuration(), ws_url(url),
                                          {"sec-websocket-protocol": "v4.channel.k8s.io"}), [HTTP_PORT])
        sock = pf.socket(HTTP_PORT)
        sock.setblocking(True)
        sock.settimeout(30)
        sock.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
        # Read by Content-Length, not to EOF: when the server closes the WebSocket, this
        # client's proxy thread dies on the closed socket without closing ours.
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, "closed before the response head: %r" % reply)
            reply += chunk
        head = reply.split(b"\r\n\r\n", 1)[0].decode().lower()
        length = int(next(l.split(":", 1)[1] for l in head.split("\r\n") if l.startswith("content-length:")))
        while len(reply) < len(head) + 4 + length:
            chunk = sock.recv(65536)
            self.assertTrue(chunk, "closed inside the body: %r" % reply)
            reply += chunk
        sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK"), reply[:200])
        self.assertTrue(reply.endswith(HTTP_INDEX), reply[-200:])
        self.assertIsNone(pf.error(HTTP_PORT))


class RawWebSocketTest(StreamFixture):
    # -- negotiation and framing -----------------------------------------------------------------
    def test_ready_message_then_output_then_v4_status_then_close(self):
        s = Session(self.exec_url(["echo", "hi"]), "v4.channel.k8s.io")
        self.assertEqual(s.ws.getsubprotocol(), "v4.channel.k8s.io")
        self.assertEqual(s.recv_one(), (STDOUT, b""))  # "ready": empty message on stdout
        s.run_to_close()
        self.assertEqual(s.channel(STDOUT), b"hi\n")
        self.assertEqual(json.loads(s.channel(ERROR)), {"status": "Success"})
        self.assertEqual(s.opcodes(), {ABNF.OPCODE_BINARY})
        self.assertEqual(s.close_code, 1000)

    def test_v5_close_signal_is_stdin_eof(self):
        s = Session(self.exec_url(["sh", "-c", "cat; echo SAW-EOF; exit 6"], stdin=True), "v5.channel.k8s.io")
        self.assertEqual(s.ws.getsubprotocol(), "v5.channel.k8s.io")
        s.send(STDIN, b"line one\n")
        s.send(STDIN, b"line two\n")
        s.ws.send(bytes([CLOSE, STDIN]), ABNF.OPCODE_BINARY)
        s.run_to_close()
        self.assertEqual(s.channel(STDOUT), b"line one\nline two\nSAW-EOF\n")
        status = json.loads(s.channel(ERROR))
        self.assertEqual(status["reason"], "NonZeroExitCode")
        self.assertEqual(status["details"]["causes"], [{"reason": "ExitCode", "message": "6"}])

    def test_base64_channel_protocol_is_text_and_v1_status(self):
        s = Session(self.exec_url(["sh", "-c", "printf '\\001\\377binary'; exit 2"]), "base64.channel.k8s.io",
                    text=True)
        self.assertEqual(s.ws.getsubprotocol(), "base64.channel.k8s.io")
        s.run_to_close()
        self.assertEqual(s.opcodes(), {ABNF.OPCODE_TEXT})
        self.assertEqual(s.channel(STDOUT), b"\x01\xffbinary")
        # Before v4 the error channel carries text, and only on failure.
        self.assertIn(b"exit code 2", s.channel(ERROR))
        self.assertFalse(s.channel(ERROR).startswith(b"{"))

    def test_v4_base64_round_trip_of_stdin(self):
        s = Session(self.exec_url(["head", "-c", "6"], stdin=True), "v4.base64.channel.k8s.io", text=True)
        s.send(STDIN, b"\x00\x01\x02\xfd\xfe\xff")
        s.run_to_close()
        self.assertEqual(s.channel(STDOUT), b"\x00\x01\x02\xfd\xfe\xff")
        self.assertEqual(json.loads(s.channel(ERROR)), {"status": "Success"})

    def test_tty_size_from_the_resize_channel(self):
        s = Session(self.exec_url(["stty", "size"], tty=True, stderr=False), "v4.channel.k8s.io")
        s.send(RESIZE, b'{"Width":101,"Height":33}')
        s.run_to_close()
        self.assertEqual(s.channel(STDOUT).strip(), b"33 101")

    def test_unsupported_subprotocol_is_refused(self):
        url = self.exec_url(["echo", "x"])
        sock = raw_request(url, method="GET", headers=websocket_upgrade_headers("v3.channel.k8s.io"))
        status, _, _ = read_head(sock)
        sock.close()
        self.assertEqual(status, 403)

    # -- port-forward --------------------------------------------------------------------------
    def test_port_forward_channels_carry_the_port_then_data(self):
        s = Session(self.pf_url(ECHO_PORT), "v4.channel.k8s.io")
        port_le = ECHO_PORT.to_bytes(2, "little")
        first = [s.recv_one(), s.recv_one()]
        self.assertEqual(sorted(first), [(0, port_le), (1, port_le)])
        payload = os.urandom(100000)
        s.send(0, payload)
        echoed = b""
        while len(echoed) < len(payload):
            message = s.recv_one()
            self.assertIsNotNone(message, "closed after %d bytes" % len(echoed))
            self.assertEqual(message[0], 0)
            echoed += message[1]
        self.assertEqual(echoed, payload)
        s.ws.close()

    # -- bad frames ---------------------------------------------------------------------------
    def raw_ws(self, cmd, **kw):
        url = self.exec_url(cmd, **kw)
        sock = raw_request(url, method="GET", headers=websocket_upgrade_headers("v5.channel.k8s.io"))
        status, headers, _ = read_head(sock)
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("sec-websocket-protocol"), ["v5.channel.k8s.io"])
        return sock

    def assertClosesAndCleansUp(self, frame, needle):
        sock = self.raw_ws(["sh", "-c", "cat >/dev/null; sleep %s" % needle], stdin=True)
        try:
            sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass
        read_to_eof(sock, timeout=15)
        sock.close()
        wait_for(lambda: not self.processes("sleep " + needle), timeout=self.disconnect_grace + 10,
                 what="the session's process to end")
        self.assertServerWorks()

    def test_unmasked_client_frame_ends_the_session(self):
        self.assertClosesAndCleansUp(ws_frame(ABNF.OPCODE_BINARY, b"\x00abc", mask=False), "2001")

    def test_reserved_opcode_ends_the_session(self):
        self.assertClosesAndCleansUp(ws_frame(0x3, b"\x00abc"), "2002")

    def test_reserved_bits_end_the_session(self):
        self.assertClosesAndCleansUp(ws_frame(ABNF.OPCODE_BINARY, b"\x00abc", rsv=4), "2003")

    def test_malformed_close_signal_ends_the_session(self):
        self.assertClosesAndCleansUp(ws_frame(ABNF.OPCODE_BINARY, bytes([CLOSE, STDIN, 0])), "2004")

    def test_unknown_channel_and_bad_base64_do_not_break_the_server(self):
        s = Session(self.exec_url(["echo", "fine"]), "v4.channel.k8s.io")
        s.ws.send(bytes([9]) + b"nobody listens here", ABNF.OPCODE_BINARY)
        s.run_to_close()
        self.assertEqual(s.channel(STDOUT), b"fine\n")
        s = Session(self.exec_url(["cat"], stdin=True), "v4.base64.channel.k8s.io", text=True)
        s.ws.send("0!!!not base64!!!", ABNF.OPCODE_TEXT)
        s.ws.settimeout(15)
        try:
            while s.recv_one() is not None:
                pass
        except websocket.WebSocketTimeoutException:
            pass  # ignoring the bad message is as good as ending the session
        s.ws.close()
        self.assertServerWorks()

    def test_bad_token_is_404(self):
        url = self.exec_url(["echo", "x"]).rsplit("/", 1)[0] + "/AAAAAAAAAAAAAAAAAAAAAA"
        sock = raw_request(url, method="GET", headers=websocket_upgrade_headers("v4.channel.k8s.io"))
        status, _, _ = read_head(sock)
        sock.close()
        self.assertEqual(status, 404)

    def test_partial_request_does_not_block_others(self):
        sock = connect(self.exec_url(["echo", "x"]))
        sock.sendall(b"GET /exec/")
        # The request-head timeout is long (30 s): only check that this does not block others.
        self.assertServerWorks()
        sock.close()


if __name__ == "__main__":
    unittest.main()
