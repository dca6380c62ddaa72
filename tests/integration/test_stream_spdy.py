"""The streaming server over SPDY/3.1 against a real peer (issue #4): URLs come from the CRI
Exec/PortForward calls of a real airlockd with real runc containers, and remotecommand_peer
(moby/spdystream, driven the way client-go drives it) runs the sessions. Checks what a kubectl
user sees: output, separate stderr, exit codes, protocol negotiation, terminals and resizes,
stdin EOF, port-forward, a slow reader getting every byte, no process left after a client
disconnect, many sessions at once, and a server that survives bad clients."""

import json
import os
import random
import subprocess
import tempfile
import time
import unittest

from harness import wait_for
from stream_util import (CLOSED_PORT, ECHO_PORT, HTTP_INDEX, HTTP_PORT, PEER, StreamFixture, connect,
                         raw_request, read_head, read_to_eof, spdy_upgrade_headers)

ALL_EXEC_PROTOCOLS = "v5.channel.k8s.io,v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io"


class SpdyExecTest(StreamFixture):
    # -- output and exit codes ---------------------------------------------------------------
    def test_stdin_is_copied_to_stdout_by_cat(self):
        payload = os.urandom(3 * 1024 * 1024 + 17)
        proc, rep = self.peer_exec(["cat"], input=payload)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(proc.stdout), len(payload))
        self.assertEqual(proc.stdout, payload)
        self.assertEqual(rep["protocol"], "v4.channel.k8s.io")
        self.assertEqual(rep["status"], '{"status":"Success"}')

    def test_stderr_arrives_on_its_own_stream(self):
        with tempfile.NamedTemporaryFile() as err:
            proc, _ = self.peer_exec(["sh", "-c", "echo to-out; echo to-err >&2; echo more-out"],
                                     "-stderr-file", err.name)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout, b"to-out\nmore-out\n")
            with open(err.name, "rb") as f:
                self.assertEqual(f.read(), b"to-err\n")

    def test_exit_codes_travel_in_the_v4_status(self):
        cases = [(["sh", "-c", "exit 0"], 0), (["sh", "-c", "exit 3"], 3),
                 (["no-such-command-here"], 127), (["sh", "-c", "kill -9 $$"], 137)]
        for cmd, code in cases:
            with self.subTest(cmd=cmd):
                proc, rep = self.peer_exec(cmd)
                self.assertEqual(proc.returncode, code, proc.stderr)
                self.assertEqual(rep["exit_code"], code)
                if code:
                    self.assertIn('"reason":"NonZeroExitCode"', rep["status"])
                    self.assertIn('"causes":[{"reason":"ExitCode","message":"%d"}]' % code, rep["status"])
        proc, _ = self.peer_exec(["no-such-command-here"])
        self.assertIn(b"no-such-command-here", proc.stderr)

    # -- negotiation -------------------------------------------------------------------------
    def test_v5_offered_first_is_answered_as_v4(self):
        proc, rep = self.peer_exec(["sh", "-c", "exit 4"], "-protocols", ALL_EXEC_PROTOCOLS)
        self.assertEqual(rep["protocol"], "v4.channel.k8s.io")
        self.assertEqual(proc.returncode, 4, proc.stderr)

    def test_v3_v2_v1_report_failure_as_text_and_success_as_nothing(self):
        for protocol in ("v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"):
            with self.subTest(protocol=protocol):
                proc, rep = self.peer_exec(["sh", "-c", "echo hi; exit 3"], "-protocols", protocol)
                self.assertEqual(rep["protocol"], protocol)
                self.assertEqual(proc.stdout, b"hi\n")
                # No exit code before v4: kubectl reports the text and exits 1.
                self.assertEqual(proc.returncode, 1)
                self.assertFalse(rep["status"].startswith("{"), rep["status"])
                self.assertIn("exit code 3", rep["status"])
                self.assertIn(b"error executing remote command", proc.stderr)
                proc, rep = self.peer_exec(["echo", "ok"], "-protocols", protocol)
                self.assertEqual((proc.returncode, proc.stdout, rep["status"]), (0, b"ok\n", ""), proc.stderr)

    def test_no_common_protocol_is_403(self):
        proc, _ = self.peer_exec(["echo", "x"], "-protocols", "v9.channel.k8s.io")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"unable to upgrade connection: status 403", proc.stderr)
        self.assertServerWorks()

    # -- terminals ---------------------------------------------------------------------------
    def test_tty_starts_at_the_clients_size(self):
        proc, _ = self.peer_exec(["stty", "size"], "-resize", "123x45", tty=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), b"45 123")

    def test_tty_resize_reaches_the_process(self):
        script = ('stty size; echo RESIZE-NOW; i=0; '
                  'while [ "$(stty size)" = "24 80" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; '
                  'stty size')
        proc, _ = self.peer_exec(["sh", "-c", script], "-resize", "80x24,132x50", "-resize-trigger",
                                 "RESIZE-NOW", tty=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.replace(b"\r", b"").split(b"\n")
        self.assertEqual(lines[0], b"24 80")
        self.assertIn(b"50 132", lines[2:], proc.stdout)

    def test_tty_output_and_exit_code(self):
        proc, _ = self.peer_exec(["sh", "-c", "echo in-a-tty; exit 5"], "-resize", "80x24", tty=True)
        self.assertEqual(proc.returncode, 5, proc.stderr)
        self.assertEqual(proc.stdout, b"in-a-tty\r\n")

    # -- stdin -------------------------------------------------------------------------------
    def test_stdin_half_close_is_eof_for_the_process(self):
        proc, _ = self.peer_exec(["sh", "-c", "cat; echo SAW-EOF"], input=b"abc\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"abc\nSAW-EOF\n")
        proc, _ = self.peer_exec(["wc", "-c"], input=b"")
        self.assertEqual(proc.stdout.strip(), b"0")

    # -- a slow reader loses nothing -------------------------------------------------------------
    def test_slow_reader_gets_the_whole_output(self):
        with tempfile.NamedTemporaryFile() as out:
            start = time.time()
            proc, rep = self.peer_exec(["seq", "1", "2000000"], "-stdout-file", out.name,
                                       "-read-delay", "2ms", "-read-chunk", "16384", timeout=240)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out.name, "rb") as f:
                data = f.read()
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertEqual(len(lines) - 1, 2000000)
        self.assertEqual(lines[-2], b"2000000")
        self.assertEqual(len(data), sum(len(str(i)) + 1 for i in range(1, 2000001)))
        # The reader really was slower than the writer (~900 reads x 2 ms).
        self.assertGreater(time.time() - start, 1.5)

    # -- client disconnect -------------------------------------------------------------------------
    def check_disconnect(self, tty, seconds):
        needle = "sleep %d" % seconds
        url = self.exec_url(["sleep", str(seconds)], stdin=True, tty=tty, stderr=not tty)
        args = [PEER, "-url", url, "-stdin", "-tty=%s" % str(tty).lower(), "-stderr=%s" % str(not tty).lower()]
        if tty:
            args += ["-resize", "80x24"]
        peer = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: self.processes(needle), timeout=20, what="the exec'd sleep to run")
        finally:
            peer.kill()
            peer.wait()
            peer.stdin.close()
            peer.stdout.close()
            peer.stderr.close()
        killed_at = time.time()
        wait_for(lambda: not self.processes(needle), timeout=self.disconnect_grace + 10, interval=0.2,
                 what="no %r left after the client went away" % needle)
        self.assertLess(time.time() - killed_at, self.disconnect_grace + 10)

    def test_disconnect_kills_the_process_without_tty(self):
        self.check_disconnect(tty=False, seconds=1001)

    def test_disconnect_kills_the_process_with_tty(self):
        self.check_disconnect(tty=True, seconds=1002)

    # -- port-forward ----------------------------------------------------------------------------
    def test_port_forward_echo_several_pairs_on_one_connection(self):
        payload = os.urandom(256 * 1024)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "in")
            with open(src, "wb") as f:
                f.write(payload)
            proc, _ = self.peer(self.pf_url(ECHO_PORT), "-mode", "portforward", "-port", str(ECHO_PORT),
                                "-pairs", "4", "-pf-input", src, "-pf-output", os.path.join(tmp, "out"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for i in range(4):
                with open(os.path.join(tmp, "out.%d" % i), "rb") as f:
                    self.assertEqual(f.read(), payload, "pair %d" % i)

    def test_port_forward_http(self):
        with tempfile.NamedTemporaryFile() as req:
            req.write(b"GET /index.html HTTP/1.0\r\n\r\n")
            req.flush()
            proc, _ = self.peer(self.pf_url(HTTP_PORT), "-mode", "portforward", "-port", str(HTTP_PORT),
                                "-pf-input", req.name)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.startswith(b"HTTP/1.1 200 OK"), proc.stdout[:200])
        self.assertTrue(proc.stdout.endswith(HTTP_INDEX), proc.stdout[-200:])

    def test_port_forward_to_a_closed_port_reports_on_the_error_stream(self):
        proc, _ = self.peer(self.pf_url(CLOSED_PORT), "-mode", "portforward", "-port", str(CLOSED_PORT))
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"error forwarding port %d" % CLOSED_PORT, proc.stderr)
        self.assertServerWorks()

    # -- many sessions -----------------------------------------------------------------------------
    def test_500_concurrent_sessions_and_flat_resources(self):
        def round_of(n, tag):
            urls = [self.exec_url(["echo", "%s-%d" % (tag, i)], stderr=False) for i in range(n)]
            with tempfile.TemporaryDirectory() as tmp:
                urls_file = os.path.join(tmp, "urls")
                report = os.path.join(tmp, "report")
                with open(urls_file, "w") as f:
                    f.write("\n".join(urls))
                proc = subprocess.run([PEER, "-urls-file", urls_file, "-report", report, "-stderr=false",
                                       "-timeout", "300s"], capture_output=True, timeout=330)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                with open(report) as f:
                    return [json.loads(line) for line in f]

        round_of(20, "warm")  # first sessions start the server's and exec engine's pools
        time.sleep(1)
        before = self.daemon_counts()
        results = round_of(500, "s")
        bad = [r for r in results if (r["exit_code"], r["stdout"], r.get("transport", "")) !=
               (0, "s-%d\n" % r["index"], "")]
        self.assertEqual(len(results), 500)
        self.assertEqual(bad[:5], [], "%d of 500 sessions were wrong" % len(bad))
        # Every session's connection, process and pipes are released.
        wait_for(lambda: self.daemon_counts()["fds"] <= before["fds"] + 2, timeout=30,
                 what="daemon fds back to %d (now %r)" % (before["fds"], self.daemon_counts()))
        wait_for(lambda: self.daemon_counts()["threads"] <= before["threads"] + 4, timeout=30,
                 what="daemon threads back to %d (now %r)" % (before["threads"], self.daemon_counts()))


class SpdyBadClientTest(StreamFixture):
    """Misbehaving clients: each one fails alone, and the next exec still works."""

    def test_bad_token_is_404(self):
        url = self.exec_url(["echo", "x"])
        base = url.rsplit("/", 1)[0]
        sock = raw_request(base + "/AAAAAAAAAAAAAAAAAAAAAA", headers=spdy_upgrade_headers("v4.channel.k8s.io"))
        status, _, _ = read_head(sock)
        sock.close()
        self.assertEqual(status, 404)
        self.assertServerWorks()

    def test_token_is_single_use(self):
        url = self.exec_url(["echo", "once"])
        proc, _ = self.peer(url, "-stdin=false")
        self.assertEqual((proc.returncode, proc.stdout), (0, b"once\n"), proc.stderr)
        proc, _ = self.peer(url, "-stdin=false")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"status 404", proc.stderr)

    def test_exec_token_on_the_portforward_path_is_404(self):
        url = self.exec_url(["echo", "x"])
        sock = raw_request(url.replace("/exec/", "/portforward/"), headers=spdy_upgrade_headers("portforward.k8s.io"))
        status, _, _ = read_head(sock)
        sock.close()
        self.assertEqual(status, 404)

    def test_missing_protocol_header_is_400(self):
        url = self.exec_url(["echo", "x"])
        sock = raw_request(url, headers=[("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")])
        status, _, _ = read_head(sock)
        sock.close()
        self.assertEqual(status, 400)
        self.assertServerWorks()

    def test_garbage_after_the_upgrade_closes_that_connection_only(self):
        url = self.exec_url(["echo", "x"])
        sock = raw_request(url, headers=spdy_upgrade_headers("v4.channel.k8s.io"))
        status, headers, _ = read_head(sock)
        self.assertEqual(status, 101)
        self.assertEqual(headers.get("x-stream-protocol-version"), ["v4.channel.k8s.io"])
        rng = random.Random(4)
        try:
            sock.sendall(b"\x80\x03\x00\x01\x00\xff\xff\xff" + bytes(rng.getrandbits(8) for _ in range(4096)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may have closed already
        read_to_eof(sock, timeout=10)
        sock.close()
        self.assertServerWorks()

    def test_unknown_stream_type_is_ignored(self):
        url = self.exec_url(["echo", "hi"], stderr=False)
        proc, _ = self.peer(url, "-stream-types", "error,bogus,stdout", "-stderr=false")
        self.assertEqual((proc.returncode, proc.stdout), (0, b"hi\n"), proc.stderr)
        self.assertServerWorks()

    def test_client_that_never_creates_streams_times_out_and_nothing_runs(self):
        marker = "/tmp/ran-%d" % random.getrandbits(32)
        url = self.exec_url(["touch", marker])
        start = time.time()
        proc, _ = self.peer(url, "-stream-types", "none", "-timeout", "%ds" % (self.creation_timeout + 20),
                            timeout=self.creation_timeout + 30)
        waited = time.time() - start
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"server closed the connection", proc.stderr)
        self.assertGreaterEqual(waited, self.creation_timeout - 0.5)
        self.assertEqual(self.exec_sync(["ls", marker]).exit_code, 1, "the command ran without its streams")
        self.assertServerWorks()

    def test_client_that_stops_after_some_streams_times_out(self):
        url = self.exec_url(["echo", "x"])  # expects error, stdout, stderr
        start = time.time()
        proc, _ = self.peer(url, "-stream-types", "error", "-timeout", "%ds" % (self.creation_timeout + 20),
                            timeout=self.creation_timeout + 30)
        # The peer waits for the session's end on the error stream; the server gives up on the
        # missing streams after the creation timeout and ends the connection.
        self.assertLess(time.time() - start, self.creation_timeout + 15, proc.stderr)
        self.assertServerWorks()

    def test_head_without_end_is_dropped_after_the_upgrade_head_limit(self):
        url = self.exec_url(["echo", "x"])
        sock = connect(url)
        data = b""
        try:
            sock.sendall(b"POST /" + url.split("/", 3)[3].encode() + b" HTTP/1.1\r\nX-Filler: " + b"a" * 200000)
            data, _ = read_to_eof(sock, timeout=10)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: also a refusal
        sock.close()
        if data:
            self.assertRegex(data.split(b"\r\n")[0], rb"^HTTP/1\.1 4\d\d")
        self.assertServerWorks()


if __name__ == "__main__":
    unittest.main()
