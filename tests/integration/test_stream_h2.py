"""The streaming server over HTTP/2 (issue #5) against real clients: nghttp (nghttp2-client) and
curl show the connection and its streams, python-h2 drives whole exec sessions (prior
knowledge and `Upgrade: h2c`), a reader that stops granting window meets a 1 GiB stdout, and
hand-built frames attack the server (rapid reset, CONTINUATION flood, an oversized header list,
too many concurrent streams, garbage instead of the preface). After each attack a normal exec
works and the daemon's fd and thread counts are back where they were. Real airlockd, real runc."""

import os
import random
import select
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

import harness
from h2e2e_client import (CANCEL, CONTINUATION, END_HEADERS, END_STREAM,
                          ENHANCE_YOUR_CALM, HEADERS, NO_ERROR, PREFACE, PROTOCOL_ERROR, REFUSED_STREAM,
                          H2Session, RawConnection, frame, h2_exec, request_block, rst_frame, settings_frame)
from harness import Daemon, wait_for
from stream_util import DEFAULT_DISCONNECT_GRACE_S, StreamFixture, connect, read_head, read_to_eof

NGHTTP = shutil.which("nghttp")
CURL = shutil.which("curl")

# What the server announces (streaming/README.md, "Limits").
MAX_CONCURRENT_STREAMS = 16
MAX_HEADER_LIST_SIZE = 16384
INITIAL_WINDOW_SIZE = 256 * 1024


class H2Fixture(StreamFixture):
    def h2(self, cmd, types=("error", "stdout", "stderr"), stdin=None, tty=False, **kw):
        url = self.exec_url(cmd, stdin="stdin" in types, stdout="stdout" in types, stderr="stderr" in types,
                            tty=tty)
        return h2_exec(url, types, stdin=stdin, **kw)

    def assertServerWorks(self):
        r = self.h2(["echo", "still-serving"], types=("error", "stdout"))
        self.assertEqual((r.out("stdout"), r.status), (b"still-serving\n", {"status": "Success"}))

    def settle_counts(self, before, slack_fds=2, slack_threads=2):
        wait_for(lambda: self.daemon_counts()["fds"] <= before["fds"] + slack_fds, timeout=30,
                 what="daemon fds back to %d (now %r)" % (before["fds"], self.daemon_counts()))
        wait_for(lambda: self.daemon_counts()["threads"] <= before["threads"] + slack_threads, timeout=30,
                 what="daemon threads back to %d (now %r)" % (before["threads"], self.daemon_counts()))

    def vm_rss_kib(self):
        with open("/proc/%d/status" % self.d.proc.pid) as f:
            return int(next(l for l in f if l.startswith("VmRSS:")).split()[1])


class H2ExecTest(H2Fixture):
    # -- python-h2: whole sessions ------------------------------------------------------------
    def test_exec_streams_each_get_200_and_their_output(self):
        r = self.h2(["sh", "-c", "echo to-out; echo to-err >&2; echo more-out; exit 3"])
        self.assertEqual({t: s.status for t, s in r.streams.items()}, {"error": 200, "stdout": 200, "stderr": 200})
        self.assertEqual(r.out("stdout"), b"to-out\nmore-out\n")
        self.assertEqual(r.out("stderr"), b"to-err\n")
        self.assertEqual(r.exit_code, 3)
        self.assertEqual(r.status["reason"], "NonZeroExitCode")
        self.assertTrue(all(s.ended and s.reset is None for s in r.streams.values()), r.session.describe())
        self.assertEqual(r.session.goaway[0], NO_ERROR)
        settings = r.session.remote_settings
        self.assertEqual(settings.get(0x3), MAX_CONCURRENT_STREAMS)
        self.assertEqual(settings.get(0x6), MAX_HEADER_LIST_SIZE)
        self.assertEqual(settings.get(0x4), INITIAL_WINDOW_SIZE)

    def test_stdin_to_cat_and_back_byte_exact(self):
        payload = os.urandom(2 * 1024 * 1024 + 5)
        r = self.h2(["cat"], types=("stdout", "stdin", "error"), stdin=payload)
        self.assertEqual(len(r.out("stdout")), len(payload))
        self.assertEqual(r.out("stdout"), payload)
        self.assertEqual(r.status, {"status": "Success"})

    def test_tty_starts_at_the_clients_size_and_stdin_reaches_it(self):
        r = self.h2(["sh", "-c", "stty size; read line; echo got-$line"], types=("resize", "stdin", "stdout", "error"),
                    tty=True, stdin=b"hello\n", resize=[(123, 45)])
        lines = r.out("stdout").replace(b"\r", b"").split(b"\n")
        # stdin goes out at once, so the terminal's echo of "hello" may come before or after
        # the size line (it does under ASan); the size must be the client's either way.
        self.assertIn(b"45 123", lines)
        self.assertNotIn(b"24 80", lines)
        self.assertIn(b"got-hello", lines)
        self.assertEqual(r.status, {"status": "Success"})

    def test_streams_in_any_order_and_unknown_streamtype_is_reset(self):
        url = self.exec_url(["echo", "ordered"], stderr=False)
        s = H2Session(url)
        try:
            bogus = s.open("bogus", end_stream=True)
            out = s.open("stdout", end_stream=True)
            dup = s.open("stdout", end_stream=True)
            s.open("error", end_stream=True)
            s.run_until(lambda: s.by_type("error").closed, what="the status")
            self.assertEqual(s.streams[bogus].reset, CANCEL)
            self.assertEqual(s.streams[dup].reset, CANCEL)
            self.assertEqual(bytes(s.streams[out].data), b"ordered\n")
        finally:
            s.close()

    def test_unknown_token_stream_is_reset_and_the_connection_survives_it(self):
        url = self.exec_url(["echo", "x"])
        bad = url.rsplit("/", 1)[0] + "/AAAAAAAAAAAAAAAAAAAAAA"
        s = H2Session(bad)
        try:
            sid = s.open("error", end_stream=True)
            s.run_until(lambda: s.streams[sid].closed, what="the refusal")
            self.assertEqual(s.streams[sid].reset, CANCEL)
            self.assertIsNone(s.streams[sid].status)
        finally:
            s.close()
        self.assertServerWorks()

    # -- the h2c upgrade -----------------------------------------------------------------------
    def test_h2c_upgrade_request_is_stream_1(self):
        url = self.exec_url(["sh", "-c", "echo via-upgrade; exit 4"], stderr=False)
        r = h2_exec(url, ("error", "stdout"), upgrade_streamtype="error")
        head = r.session.upgrade_response
        self.assertRegex(head, r"(?i)\r\nupgrade: h2c(\r\n|$)")
        self.assertRegex(head, r"(?i)\r\nconnection: upgrade(\r\n|$)")
        self.assertEqual(r.session.by_type("error").id, 1)
        self.assertEqual(r.session.by_type("error").status, 200)
        self.assertEqual(r.out("stdout"), b"via-upgrade\n")
        self.assertEqual(r.exit_code, 4)

    def test_h2c_upgrade_with_a_post(self):
        url = self.exec_url(["echo", "posted"], stderr=False)
        r = h2_exec(url, ("stdout", "error"), upgrade_streamtype="stdout", upgrade_method="POST")
        self.assertEqual((r.out("stdout"), r.status), (b"posted\n", {"status": "Success"}))

    def test_h2c_upgrade_with_bad_settings_is_400(self):
        url = self.exec_url(["echo", "x"])
        sock = connect(url)
        path = "/" + url.split("/", 3)[3]
        sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                      "HTTP2-Settings: !!not-base64!!\r\n\r\n" % path).encode())
        status, _, rest = read_head(sock)
        body, _ = read_to_eof(sock, timeout=10)
        sock.close()
        self.assertEqual(status, 400)
        self.assertIn(b"invalid HTTP2-Settings header", rest + body)
        self.assertServerWorks()

    # -- nghttp and curl -----------------------------------------------------------------------
    def nghttp(self, *args, timeout=60):
        if not NGHTTP:
            self.skipTest("nghttp is missing (apt: nghttp2-client)")
        p = subprocess.run([NGHTTP, "-v", "--no-dep", *args], capture_output=True, timeout=timeout)
        return p, p.stdout.decode(errors="replace")

    def test_nghttp_shows_settings_200_and_the_refused_duplicate(self):
        # nghttp sends the same headers on every stream (-H applies to all URIs), so it cannot
        # open error *and* stdout; two streams of one type show the 200 and the refusal.
        url = self.exec_url(["echo", "x"], stderr=False)
        start = time.time()
        p, out = self.nghttp("-H", "streamtype: error", url, url + "?second")
        print("\n--- nghttp -v (two error streams) ---\n" + out)
        self.assertRegex(out, r"recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>")
        self.assertIn("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):%d]" % MAX_CONCURRENT_STREAMS, out)
        self.assertIn("[SETTINGS_INITIAL_WINDOW_SIZE(0x04):%d]" % INITIAL_WINDOW_SIZE, out)
        self.assertIn("[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):%d]" % MAX_HEADER_LIST_SIZE, out)
        self.assertRegex(out, r"recv \(stream_id=1\) :status: 200")
        self.assertRegex(out, r"recv RST_STREAM frame <length=4, flags=0x00, stream_id=3>\s+\(error_code=CANCEL")
        # The session never got its stdout stream: after the creation timeout it ends and GOAWAY says so.
        self.assertRegex(out, r"recv GOAWAY frame")
        self.assertGreaterEqual(time.time() - start, self.creation_timeout - 0.5)
        self.assertServerWorks()

    def test_nghttp_upgrade_path(self):
        url = self.exec_url(["echo", "x"], stderr=False)
        p, out = self.nghttp("-u", "-H", "streamtype: error", url)
        print("\n--- nghttp -v -u ---\n" + out)
        self.assertIn("HTTP Upgrade request", out)
        self.assertRegex(out, r"HTTP Upgrade response\s+HTTP/1.1 101 Switching Protocols")
        self.assertIn("HTTP Upgrade success", out)
        self.assertRegex(out, r"recv \(stream_id=1\) :status: 200")
        self.assertServerWorks()

    def test_nghttp_unknown_token_is_reset(self):
        url = self.exec_url(["echo", "x"]).rsplit("/", 1)[0] + "/AAAAAAAAAAAAAAAAAAAAAA"
        p, out = self.nghttp("-H", "streamtype: stdout", url)
        self.assertRegex(out, r"recv RST_STREAM frame <length=4, flags=0x00, stream_id=1>\s+\(error_code=CANCEL")
        self.assertNotIn(":status: 200", out)

    def test_curl_prior_knowledge_and_upgrade_show_200(self):
        if not CURL:
            self.skipTest("curl is missing")
        for flag in ("--http2-prior-knowledge", "--http2"):
            with self.subTest(flag=flag):
                url = self.exec_url(["echo", "x"], stderr=False)
                p = subprocess.run([CURL, "-sv", flag, "-H", "streamtype: error", "-o", "/dev/null",
                                    "--max-time", str(self.creation_timeout + 20), url],
                                   capture_output=True, timeout=self.creation_timeout + 30)
                err = p.stderr.decode(errors="replace")
                self.assertIn("< HTTP/2 200", err)
                if flag == "--http2":
                    self.assertIn("HTTP/1.1 101", err)
        self.assertServerWorks()


class H2TlsTest(H2Fixture):
    """TLS on the streaming port ([streaming] enable_tls with our own certificate): ALPN h2."""

    @classmethod
    def start_daemon(cls):
        cls.tls_dir = tempfile.mkdtemp(prefix="airlock-h2tls-")
        cls.cert, key = os.path.join(cls.tls_dir, "cert.pem"), os.path.join(cls.tls_dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cls.cert], check=True, capture_output=True)
        config = os.path.join(cls.tls_dir, "airlock.toml")
        with open(config, "w") as f:
            f.write('[streaming]\nenable_tls = true\ntls_cert_file = "%s"\ntls_key_file = "%s"\n'
                    'stream_creation_timeout = "3s"\n' % (cls.cert, key))
        d = Daemon(workdir=tempfile.mkdtemp(prefix="airlock-h2tls-"), extra_args=["--config", config])
        try:
            d.start()
        except RuntimeError as err:
            if "enable_tls" in str(err) or "tls_cert_file" in str(err):
                shutil.rmtree(cls.tls_dir, ignore_errors=True)
                raise unittest.SkipTest("airlockd knows no [streaming] enable_tls / tls_cert_file / tls_key_file "
                                        "(shim/config): TLS with ALPN h2 cannot be turned on")
            raise
        cls.creation_timeout, cls.disconnect_grace, cls.tuned = 3, DEFAULT_DISCONNECT_GRACE_S, True
        return d

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tls_dir, ignore_errors=True)

    def tls_url(self, cmd, **kw):
        url = self.rt.Exec(self.pb.ExecRequest(container_id=self.cid, cmd=cmd, **kw), timeout=30).url
        self.assertRegex(url, r"^https://[^/]+/exec/[A-Za-z0-9_-]+$")
        return url

    def context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.set_alpn_protocols(["h2"])
        return ctx

    def test_alpn_h2_exec(self):
        url = self.tls_url(["sh", "-c", "echo over-tls; exit 2"], stdout=True)
        r = h2_exec(url, ("error", "stdout"), tls_context=self.context())
        self.assertEqual(r.session.alpn, "h2")
        self.assertEqual(r.out("stdout"), b"over-tls\n")
        self.assertEqual(r.exit_code, 2)

    def test_nghttp_over_tls_negotiates_h2(self):
        if not NGHTTP:
            self.skipTest("nghttp is missing (apt: nghttp2-client)")
        url = self.tls_url(["echo", "x"], stdout=True)
        p = subprocess.run([NGHTTP, "-v", "--no-dep", "-H", "streamtype: error", url], capture_output=True,
                           timeout=60)
        out = p.stdout.decode(errors="replace")
        print("\n--- nghttp -v over TLS ---\n" + out)
        self.assertIn("The negotiated protocol: h2", out)
        self.assertRegex(out, r"recv \(stream_id=1\) :status: 200")

    def test_plain_http2_on_the_tls_port_is_refused(self):
        url = self.tls_url(["echo", "x"], stdout=True)
        c = RawConnection(url.replace("https://", "http://"))
        try:
            c.send(PREFACE + settings_frame())
            self.assertTrue(c.read_to_eof(15), "a cleartext client kept a TLS connection open")
            self.assertFalse(c.goaway(), "HTTP/2 spoken without TLS")
        finally:
            c.close()


class H2FlowControlTest(H2Fixture):
    GIB = 1 << 30

    def rss_during(self, seconds, session=None):
        """Samples airlockd's VmRSS for `seconds` (pumping `session` meanwhile); the largest."""
        peak, end = 0, time.time() + seconds
        while time.time() < end:
            peak = max(peak, self.vm_rss_kib())
            if session:
                session.pump(0.2)
            else:
                time.sleep(0.2)
        return peak

    def test_the_status_waits_for_output_behind_a_shut_window(self):
        # The command ends while most of its output still waits for stdout's window: the
        # status must not overtake it, or a client that stops at the status loses the tail.
        # 300 KiB: the 64 KiB window goes out, the rest fits the session's stream backlog
        # (256 KiB per read), so the command ends and its pipe reaches EOF with the tail queued.
        size = 300 << 10
        needle = "head -c %d" % size
        url = self.exec_url(["head", "-c", str(size), "/dev/zero"], stderr=False)
        s = H2Session(url, window=64 << 10, timeout=60)
        try:
            s.auto_ack = False
            s.open("error", end_stream=True)
            out = s.streams[s.open("stdout", end_stream=True)]
            out.keep = False
            wait_for(lambda: not self.processes(needle), timeout=30, what="the command done")
            s.pump(2)
            self.assertFalse(s.by_type("error").closed, "the status came with %d of %d bytes" % (out.count, size))
            self.assertLess(out.count, size)
            s.auto_ack = True
            s.ack()
            s.run_until(lambda: s.by_type("error").closed, timeout=60, what="the status")
            self.assertEqual(out.count, size, "stdout when the status arrived")
            self.assertEqual(bytes(s.by_type("error").data), b'{"status":"Success"}')
        finally:
            s.close()

    def test_1gib_to_a_reader_that_stops_granting_window(self):
        if harness.SANITIZED:
            self.skipTest("ASan RSS says nothing about buffering")
        needle = "head -c %d" % self.GIB
        url = self.exec_url(["head", "-c", str(self.GIB), "/dev/zero"], stderr=False)
        s = H2Session(url, window=1 << 20, timeout=60)
        try:
            s.open("error", end_stream=True)
            out = s.streams[s.open("stdout", end_stream=True)]
            out.keep = False
            s.run_until(lambda: out.count >= 64 << 20, timeout=120, what="64 MiB of stdout")
            baseline = self.vm_rss_kib()
            # Stop acknowledging: we still read the socket, so only HTTP/2 flow control holds the server.
            s.auto_ack = False
            paused_at = out.count
            peak = self.rss_during(10, session=s)
            got_in_pause = out.count - paused_at
            print("\nh2 reader paused 10 s at %d MiB: %d KiB more arrived; airlockd VmRSS %d KiB -> peak %d KiB" % (
                paused_at >> 20, got_in_pause >> 10, baseline, peak))
            self.assertTrue(self.processes(needle), "the command ended while the reader paused")
            self.assertLessEqual(got_in_pause, 2 << 20, "the server sent past the stream window")
            self.assertLess(peak - baseline, 64 * 1024,
                            "airlockd grew by %d KiB while the reader paused" % (peak - baseline))
            s.auto_ack = True
            s.ack()
            s.run_until(lambda: s.by_type("error").closed, timeout=600, what="the whole GiB and the status")
            self.assertEqual(out.count, self.GIB)
            self.assertEqual(bytes(s.by_type("error").data), b'{"status":"Success"}')
        finally:
            s.close()
        wait_for(lambda: not self.processes(needle), timeout=10, what="the command gone")

    def test_1gib_through_airlock_exec_into_a_pausing_reader(self):
        if harness.SANITIZED:
            self.skipTest("ASan RSS says nothing about buffering")
        if not os.access(harness.AIRLOCK, os.X_OK):
            self.fail("%s is missing: build the airlock target" % harness.AIRLOCK)
        needle = "head -c %d" % self.GIB
        cli = subprocess.Popen([harness.AIRLOCK, "--runtime-endpoint", "unix://" + self.d.socket, "exec",
                                self.cid, "--", "head", "-c", str(self.GIB), "/dev/zero"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got = 0

        def read_some(what):
            # A stalled stream must fail the test, not hang it.
            if not select.select([cli.stdout], [], [], 60)[0]:
                self.fail("airlock exec wrote nothing for 60 s after %d bytes (%s)" % (got, what))
            return os.read(cli.stdout.fileno(), 1 << 20)

        try:
            while got < 64 << 20:
                chunk = read_some("before the pause")
                if not chunk:
                    self.fail("airlock exec ended after %d bytes (exit %r)" % (got, cli.wait()))
                got += len(chunk)
            baseline = self.vm_rss_kib()
            peak = self.rss_during(10)  # we read nothing: the pipe, then the socket, then the server fill up
            print("\nairlock exec reader paused 10 s at %d MiB: airlockd VmRSS %d KiB -> peak %d KiB" % (
                got >> 20, baseline, peak))
            self.assertTrue(self.processes(needle), "the command ended while the reader paused")
            self.assertIsNone(cli.poll())
            self.assertLess(peak - baseline, 64 * 1024,
                            "airlockd grew by %d KiB while the reader paused" % (peak - baseline))
            while True:
                chunk = read_some("after the pause")
                if not chunk:
                    break
                got += len(chunk)
            self.assertEqual(cli.wait(timeout=60), 0)
            self.assertEqual(got, self.GIB)
        finally:
            if cli.poll() is None:
                cli.kill()
            cli.wait()
            cli.stdout.close()


class H2AttackTest(H2Fixture):
    """Each attack ends on its own connection; the next exec works and nothing leaks."""

    def setUp(self):
        # Warm pools (the first sessions start the server's and exec engine's threads).
        self.assertServerWorks()
        self.before = self.daemon_counts()

    def tearDown(self):
        self.assertServerWorks()
        self.settle_counts(self.before)

    def exec_session_url(self):
        # A running session (error + stdout of a long sleep) for the attack streams to meet.
        return self.exec_url(["sleep", "30"], stderr=False)

    def test_rapid_reset(self):
        url = self.exec_session_url()
        c = RawConnection(url).start()
        try:
            burst = b""
            for i in range(200):
                sid = 1 + 2 * i
                burst += frame(HEADERS, END_HEADERS | END_STREAM, sid,
                               request_block(c.encoder, url, "error" if i == 0 else "stdout", method="GET"))
                burst += rst_frame(sid, CANCEL)
            c.send(burst)
            self.assertTrue(c.read_to_eof(10), "the server kept a rapid-reset connection open")
            goaway = c.goaway()
            self.assertIsNotNone(goaway, "no GOAWAY; frames %r" % [f[:3] for f in c.frames][-10:])
            self.assertEqual(goaway[1], ENHANCE_YOUR_CALM, goaway)
        finally:
            c.close()

    def test_continuation_flood(self):
        url = self.exec_session_url()
        c = RawConnection(url).start()
        try:
            block = request_block(c.encoder, url, "error", method="GET")
            sent = c.send(frame(HEADERS, END_STREAM, 1, block))
            filler = c.encoder.encode([("x-filler-%d" % i, "v") for i in range(1)])
            for i in range(10000):
                if not sent or c.eof:
                    break
                sent = c.send(frame(CONTINUATION, 0, 1, filler))
                if i % 64 == 0:
                    c.read(0.01)
            self.assertTrue(c.read_to_eof(10), "the server kept a CONTINUATION flood open")
            goaway = c.goaway()
            self.assertIsNotNone(goaway)
            self.assertEqual(goaway[1], ENHANCE_YOUR_CALM, goaway)
        finally:
            c.close()

    def test_header_list_too_big(self):
        url = self.exec_session_url()
        cases = {
            # ~41 KiB of literal fields, in HEADERS + CONTINUATION frames of at most 16 KiB.
            "literal": [("x-big-%d" % i, "v" * 1000) for i in range(40)],
            # An HPACK bomb: one 4000-byte field enters the dynamic table, 20 one-byte references
            # to it decode to ~80 KiB; the block itself stays under 5 KiB.
            "indexed": [("x-bomb", "b" * 4000)] * 20,
        }
        for name, extra in cases.items():
            with self.subTest(case=name):
                c = RawConnection(url).start()
                try:
                    block = request_block(c.encoder, url, "error", method="GET", extra=extra)
                    chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)]
                    frames = frame(HEADERS, END_STREAM | (END_HEADERS if len(chunks) == 1 else 0), 1, chunks[0])
                    for i, chunk in enumerate(chunks[1:], 1):
                        frames += frame(CONTINUATION, END_HEADERS if i == len(chunks) - 1 else 0, 1, chunk)
                    c.send(frames)
                    c.read_until(lambda: c.goaway() or c.resets() or c.eof, 10)
                    goaway, resets = c.goaway(), c.resets()
                    self.assertFalse(any(f[0] == HEADERS for f in c.frames), "the oversized request was answered")
                    # streaming/README.md: GOAWAY(ENHANCE_YOUR_CALM), connection closed.
                    self.assertIsNotNone(goaway, "no GOAWAY (resets %r, frames %r)" %
                                         (resets, [f[:3] for f in c.frames]))
                    self.assertEqual(goaway[1], ENHANCE_YOUR_CALM, goaway)
                    self.assertTrue(c.read_to_eof(10), "the connection stayed open after the GOAWAY")
                finally:
                    c.close()

    def concurrent_burst(self, c, url, n):
        # Stream 1 is the session's stdin (kept open); the others name unknown stream types, so
        # the session resets them, but only after nghttp2 counted them all (one read, one Feed).
        return b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * i,
                              request_block(c.encoder, url, "stdin" if i == 0 else "x%d" % i))
                        for i in range(n))

    def test_more_concurrent_streams_than_announced_before_our_settings_apply(self):
        # Streams opened before the client acknowledged our SETTINGS: the excess is refused
        # (REFUSED_STREAM, safe to retry) and the connection lives on.
        url = self.exec_url(["sleep", "30"], stdin=True, stderr=False)
        c = RawConnection(url)
        n = MAX_CONCURRENT_STREAMS + 8
        try:
            c.send(PREFACE + settings_frame() + self.concurrent_burst(c, url, n))
            c.read_until(lambda: len(c.resets()) >= n - 1 or c.eof, 10)
            resets = c.resets()
            over = {1 + 2 * i for i in range(MAX_CONCURRENT_STREAMS, n)}
            self.assertEqual({sid for sid in over if resets.get(sid) == REFUSED_STREAM}, over,
                             "streams beyond %d not refused: %r" % (MAX_CONCURRENT_STREAMS, resets))
            self.assertNotIn(1, resets, "the stream within the limit was refused")
            self.assertFalse(c.eof, "REFUSED_STREAM is a stream error; the connection must live on")
            self.assertIsNone(c.goaway())
        finally:
            c.close()

    def test_more_concurrent_streams_than_announced_after_our_settings_apply(self):
        # Once the client acknowledged SETTINGS_MAX_CONCURRENT_STREAMS, exceeding it is the
        # client's fault: nghttp2 ends the connection (GOAWAY) instead of refusing one stream.
        url = self.exec_url(["sleep", "30"], stdin=True, stderr=False)
        c = RawConnection(url).start()
        try:
            c.send(self.concurrent_burst(c, url, MAX_CONCURRENT_STREAMS + 8))
            self.assertTrue(c.read_to_eof(10), "the server kept the connection open")
            goaway = c.goaway()
            self.assertIsNotNone(goaway, "no GOAWAY: %r" % c.resets())
            self.assertIn(goaway[1], (PROTOCOL_ERROR, ENHANCE_YOUR_CALM), goaway)
            self.assertIn(b"max concurrent streams", goaway[2])
        finally:
            c.close()

    def test_garbage_instead_of_the_preface(self):
        url = self.exec_session_url()
        rng = random.Random(5)
        cases = {
            "binary": bytes(rng.getrandbits(8) for _ in range(4096)),
            "preface start, then garbage": PREFACE[:16] + bytes(rng.getrandbits(8) for _ in range(4096)),
            "preface, then garbage frames": PREFACE + bytes(rng.getrandbits(8) for _ in range(4096)),
        }
        for name, payload in cases.items():
            with self.subTest(case=name):
                c = RawConnection(url)
                try:
                    c.send(payload)
                    self.assertTrue(c.read_to_eof(10), "the server kept a garbage connection open")
                    if c.raw.startswith(b"HTTP/1.1"):
                        self.assertRegex(c.raw.split(b"\r\n")[0], rb"^HTTP/1\.1 4\d\d")
                    elif c.goaway():
                        self.assertNotEqual(c.goaway()[1], NO_ERROR)
                finally:
                    c.close()

    def test_50_connections_stalled_inside_a_header_block_are_closed(self):
        # Slowloris on HTTP/2: HEADERS without END_HEADERS whose block stops mid-field, and then
        # silence. No session ever starts; the creation timeout closes every one of them.
        url = self.exec_session_url()
        conns = []
        start = time.time()
        try:
            for _ in range(50):
                c = RawConnection(url)
                c.send(PREFACE + settings_frame() + frame(HEADERS, 0, 1, b"\x6a\x75junk"))
                conns.append(c)
            for c in conns:
                self.assertTrue(c.read_to_eof(self.creation_timeout + 10), "a stalled connection stayed open")
            self.assertLess(time.time() - start, self.creation_timeout + 10)
        finally:
            for c in conns:
                c.close()


if __name__ == "__main__":
    unittest.main()
