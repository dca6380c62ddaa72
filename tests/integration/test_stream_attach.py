"""CRI Attach end to end (issue #4): real airlockd, real runc containers whose ContainerConfig
asks for stdin (one of them also for a tty), and real clients — the Go remotecommand peer over
SPDY (client-go's way), websocket-client over WebSocket, python-h2 over HTTP/2. What a
`kubectl attach` user checks: a line sent comes back from the container, two attaches at once
both see the output, detaching leaves the container running, and a terminal gets its size."""

import json
import os
import select
import subprocess
import time
import unittest

import websocket

from harness import container_config, wait_for
from h2e2e_client import H2Session
from stream_util import PEER, StreamFixture
from test_stream_websocket import ERROR, RESIZE, STDIN, STDOUT, Session


class PeerProcess:
    """The Go peer attached in the background: we write its stdin and watch its stdout."""

    def __init__(self, url, *flags):
        self.proc = subprocess.Popen([PEER, "-url", url, "-timeout", "300s", *flags], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_until(self, needle, timeout=20):
        deadline = time.time() + timeout
        while needle not in self.out:
            left = deadline - time.time()
            if left <= 0 or self.proc.poll() is not None and not select.select([self.proc.stdout], [], [], 0)[0]:
                raise AssertionError("peer output never showed %r (exit %r); got %r; stderr %r" % (
                    needle, self.proc.poll(), self.out[-2000:], self.stderr_so_far()))
            if select.select([self.proc.stdout], [], [], min(left, 0.5))[0]:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk and self.proc.poll() is not None:
                    continue
                self.out += chunk
        return self.out

    def stderr_so_far(self):
        if self.proc.poll() is None:
            return b"(running)"
        return self.proc.stderr.read()

    def detach(self):
        """What a user's ^C on kubectl attach does: the client goes away."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


class AttachTest(StreamFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            pb = cls.pb
            # `cat` copies what an attached client types to the container's stdout.
            cls.cat = cls.create_and_start(container_config(pb, name="catter", command=["cat"], stdin=True))
            cls.shell = cls.create_and_start(container_config(pb, name="shell", command=["sh"], stdin=True,
                                                              tty=True))
        except BaseException:
            cls.d.cleanup()
            raise

    def attach_url(self, cid, stdin=True, stdout=True, stderr=True, tty=False):
        url = self.rt.Attach(self.pb.AttachRequest(container_id=cid, stdin=stdin, stdout=stdout, stderr=stderr,
                                                   tty=tty), timeout=30).url
        self.assertRegex(url, r"^http://[^/]+/attach/[A-Za-z0-9_-]+$")
        return url

    def peer_attach(self, cid, stdin=True, tty=False, *extra):
        url = self.attach_url(cid, stdin=stdin, stderr=not tty, tty=tty)
        return PeerProcess(url, "-stdin=%s" % str(stdin).lower(), "-stderr=%s" % str(not tty).lower(),
                           "-tty=%s" % str(tty).lower(), *extra)

    def assertRunning(self, cid):
        state = self.rt.ContainerStatus(self.pb.ContainerStatusRequest(container_id=cid), timeout=30).status.state
        self.assertEqual(state, self.pb.CONTAINER_RUNNING)

    def tag(self, name):
        return ("%s-%d-%d" % (name, os.getpid(), time.time_ns() % 1000000)).encode()

    # -- SPDY (the Go peer, as client-go) -------------------------------------------------------
    def test_spdy_attach_sends_a_line_and_sees_it_echoed(self):
        line = self.tag("spdy-line")
        peer = self.peer_attach(self.cat)
        try:
            peer.write(line + b"\n")
            peer.read_until(line + b"\n")
        finally:
            peer.detach()
        self.assertRunning(self.cat)

    def test_two_attaches_at_once_both_see_the_output(self):
        writer = self.peer_attach(self.cat)
        watcher = self.peer_attach(self.cat, False)
        try:
            # The watcher is attached once it sees a line written after it connected; retry until then.
            first = None
            deadline = time.time() + 20
            while time.time() < deadline:
                first = self.tag("both")
                writer.write(first + b"\n")
                writer.read_until(first + b"\n")
                try:
                    watcher.read_until(first + b"\n", timeout=1)
                    break
                except AssertionError:
                    continue
            else:
                self.fail("the second attach never saw the container's output: %r" % watcher.out)
            line = self.tag("both-again")
            writer.write(line + b"\n")
            self.assertIn(line + b"\n", writer.read_until(line + b"\n"))
            self.assertIn(line + b"\n", watcher.read_until(line + b"\n"))
        finally:
            writer.detach()
            watcher.detach()

    def test_detaching_leaves_the_container_running_and_attachable(self):
        for i in range(3):
            line = self.tag("again-%d" % i)
            peer = self.peer_attach(self.cat)
            try:
                peer.write(line + b"\n")
                peer.read_until(line + b"\n")
            finally:
                peer.detach()
            time.sleep(0.3)
            self.assertRunning(self.cat)
        # The container's CRI log saw the lines too: attach sits next to the log, not instead of it.
        wait_for(lambda: " stdout F %s\n" % line.decode() in self.container_log("catter"), timeout=10,
                 what="the attached line in the container's CRI log")

    def container_log(self, name):
        try:
            with open(os.path.join(self.pod_cfg.log_directory, name, "0.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stty_until(self, write, read, size, timeout=20):
        """Asks the attached shell for its terminal size until it answers `size` ("ROWS COLS")."""
        deadline = time.time() + timeout
        while True:
            write(b"stty size\n")
            try:
                return read(size.encode(), 1)
            except AssertionError:
                if time.time() > deadline:
                    raise

    def test_spdy_tty_attach_applies_the_clients_first_size(self):
        # kubectl sends the user's window size first; the container's terminal must take it.
        peer = self.peer_attach(self.shell, True, True, "-resize", "91x33")
        try:
            self.stty_until(peer.write, lambda n, t: peer.read_until(n, timeout=t), "33 91")
        finally:
            peer.detach()
        self.assertRunning(self.shell)

    def test_spdy_tty_attach_resize_reaches_the_terminal(self):
        # The first size, then 123x47 once the shell printed the trigger.
        peer = self.peer_attach(self.shell, True, True, "-resize", "91x33,123x47", "-resize-trigger", "RESIZE-NOW")
        try:
            peer.write(b"echo RESIZE-NOW\n")
            self.stty_until(peer.write, lambda n, t: peer.read_until(n, timeout=t), "47 123")
        finally:
            peer.detach()
        self.assertRunning(self.shell)

    # -- WebSocket -----------------------------------------------------------------------------
    def ws_attach(self, cid, tty=False, protocol="v4.channel.k8s.io"):
        s = Session(self.attach_url(cid, stdin=True, stderr=not tty, tty=tty), protocol)
        self.assertEqual(s.ws.getsubprotocol(), protocol)
        return s

    def ws_read_until(self, s, needle, timeout=20):
        s.ws.settimeout(timeout)
        deadline = time.time() + timeout
        while needle not in s.channel(STDOUT):
            if time.time() > deadline:
                raise AssertionError("no %r on stdout: %r" % (needle, s.channel(STDOUT)[-500:]))
            try:
                message = s.recv_one()
            except websocket.WebSocketTimeoutException:
                continue
            self.assertIsNotNone(message, "the server closed: %r" % s.messages[-5:])
        return s.channel(STDOUT)

    def test_websocket_attach_echo_and_detach(self):
        line = self.tag("ws-line")
        s = self.ws_attach(self.cat)
        try:
            s.send(STDIN, line + b"\n")
            self.ws_read_until(s, line + b"\n")
        finally:
            s.ws.close()
        time.sleep(0.3)
        self.assertRunning(self.cat)
        self.assertEqual(s.channel(ERROR), b"", "no status while attached")

    def test_websocket_and_spdy_attached_together(self):
        s = self.ws_attach(self.cat)
        peer = self.peer_attach(self.cat)
        try:
            deadline = time.time() + 20
            while True:
                line = self.tag("mixed")
                peer.write(line + b"\n")
                peer.read_until(line + b"\n")
                try:
                    self.ws_read_until(s, line + b"\n", timeout=1)
                    break
                except AssertionError:
                    self.assertLess(time.time(), deadline, "WebSocket attach never saw the output")
        finally:
            peer.detach()
            s.ws.close()

    def test_websocket_tty_attach_resize(self):
        s = self.ws_attach(self.shell, tty=True)
        try:
            s.send(STDIN, b"echo WS-TTY-UP\n")
            self.ws_read_until(s, b"WS-TTY-UP\r\n")
            s.send(RESIZE, json.dumps({"Width": 101, "Height": 29}).encode())
            self.stty_until(lambda b: s.send(STDIN, b), lambda n, t: self.ws_read_until(s, n, timeout=t), "29 101")
        finally:
            s.ws.close()
        self.assertRunning(self.shell)

    # -- HTTP/2 ----------------------------------------------------------------------------------
    def test_h2_attach_echo_and_detach(self):
        line = self.tag("h2-line")
        s = H2Session(self.attach_url(self.cat))
        try:
            for t in ("error", "stdout", "stderr"):
                s.open(t, end_stream=True)
            stdin = s.open("stdin")
            s.run_until(lambda: all(st.status for st in s.streams.values()), what="200 on every stream")
            self.assertEqual({st.streamtype: st.status for st in s.streams.values()},
                             {"error": 200, "stdin": 200, "stdout": 200, "stderr": 200})
            s.send(stdin, line + b"\n")
            s.run_until(lambda: line + b"\n" in s.by_type("stdout").data, what="the echoed line")
        finally:
            s.close()
        time.sleep(0.3)
        self.assertRunning(self.cat)


if __name__ == "__main__":
    unittest.main()
