"""Shared pieces of the streaming-server tests (test_stream_spdy, test_stream_websocket): a real
airlockd with a pod whose containers serve as exec and port-forward targets, URLs from the CRI
Exec/Attach/PortForward calls, the Go remotecommand peer, raw HTTP/1.1 requests, and the daemon's
fd/thread counts. Runs under /usr/bin/python3 (Debian's python3-grpcio)."""

import base64
import json
import os
import random
import socket
import struct
import subprocess
import tempfile
import time
import unittest
from urllib.parse import urlparse

import harness
from harness import Daemon, container_config, pod_config, wait_for

PEER = os.environ.get("AIRLOCK_REMOTECOMMAND_PEER") or os.path.join(harness.BUILD, "tests", "remotecommand_peer")

# Ports the pod's helper containers listen on (inside the pod's network namespace).
ECHO_PORT = 9090   # busybox nc: echoes each connection back (cat), persistent
HTTP_PORT = 8080   # busybox httpd serving /tmp/www
CLOSED_PORT = 9999  # nothing listens here

HTTP_INDEX = b"hello-from-httpd\n"

# Lowered session timeouts, so that the timeout tests take seconds, not the defaults' 30 s.
# Written as [streaming] keys of airlock.toml; airlockd refuses unknown keys, so a daemon that
# does not know them yet is started without the file and the tests use the defaults.
STREAM_CREATION_TIMEOUT_S = 3
DISCONNECT_GRACE_S = 2
TUNED_CONFIG = """[streaming]
stream_creation_timeout = "%ds"
disconnect_grace = "%ds"
""" % (STREAM_CREATION_TIMEOUT_S, DISCONNECT_GRACE_S)
DEFAULT_CREATION_TIMEOUT_S = 30
DEFAULT_DISCONNECT_GRACE_S = 5


class StreamFixture(unittest.TestCase):
    """One daemon, one pod with an idle `app` container and two servers for port-forward."""

    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        if not os.access(PEER, os.X_OK):
            raise AssertionError("the Go peer %s is missing: build the remotecommand_peer_client target" % PEER)
        cls.d = cls.start_daemon()
        try:
            cls.setup_pod()
        except BaseException:
            cls.d.cleanup()
            raise

    @classmethod
    def start_daemon(cls):
        workdir = tempfile.mkdtemp(prefix="airlock-stream-")
        config = os.path.join(workdir, "airlock.toml")
        with open(config, "w") as f:
            f.write(TUNED_CONFIG)
        d = Daemon(workdir=workdir, extra_args=["--config", config])
        try:
            d.start()
            cls.creation_timeout, cls.disconnect_grace = STREAM_CREATION_TIMEOUT_S, DISCONNECT_GRACE_S
            cls.tuned = True
        except RuntimeError as err:
            if "stream_creation_timeout" not in str(err) and "disconnect_grace" not in str(err):
                raise
            d = Daemon(workdir=tempfile.mkdtemp(prefix="airlock-stream-")).start()
            cls.creation_timeout, cls.disconnect_grace = DEFAULT_CREATION_TIMEOUT_S, DEFAULT_DISCONNECT_GRACE_S
            cls.tuned = False
        return d

    @classmethod
    def setup_pod(cls):
        pb = cls.pb = cls.d.client.pb
        cls.rt = cls.d.client.runtime
        cls.d.client.image.PullImage(pb.PullImageRequest(
            image=pb.ImageSpec(image="oci-archive:" + harness.test_image("oci-archive"))), timeout=120)
        cls.pod_cfg = pod_config(pb, name="streampod", log_dir=tempfile.mkdtemp(prefix="airlock-stream-logs-"))
        cls.pod = cls.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cls.pod_cfg), timeout=60).pod_sandbox_id
        cls.cid = cls.create_and_start(container_config(pb, name="app", command=["sleep", "100000"]))
        cls.create_and_start(container_config(pb, name="echo", command=[
            "nc", "-ll", "-p", str(ECHO_PORT), "-e", "/bin/cat"]))
        cls.create_and_start(container_config(pb, name="web", command=["sh", "-c",
            "mkdir -p /tmp/www && printf '%s' > /tmp/www/index.html && seq 1 200000 > /tmp/www/big && "
            "exec httpd -f -p %d -h /tmp/www" % (HTTP_INDEX.decode().strip() + "\\n", HTTP_PORT)]))
        # Both servers listen before any test dials them.
        wait_for(lambda: cls.listening(ECHO_PORT) and cls.listening(HTTP_PORT),
                 timeout=20, what="the pod's echo and http servers to listen")

    @classmethod
    def listening(cls, port):
        # /proc/net/tcp: local address as hex ip:port, state 0A = LISTEN.
        out = cls.exec_sync_cls(["cat", "/proc/net/tcp", "/proc/net/tcp6"]).stdout.decode()
        want = ":%04X" % port
        return any(line.split()[1].endswith(want) and line.split()[3] == "0A"
                   for line in out.splitlines()[1:] if len(line.split()) > 3 and ":" in line.split()[1])

    @classmethod
    def create_and_start(cls, cfg):
        pb = cls.pb
        cid = cls.rt.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=cls.pod, config=cfg, sandbox_config=cls.pod_cfg), timeout=60).container_id
        cls.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return cid

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    # -- CRI calls -----------------------------------------------------------------------
    @classmethod
    def exec_sync_cls(cls, cmd, cid=None):
        return cls.rt.ExecSync(cls.pb.ExecSyncRequest(container_id=cid or cls.cid, cmd=cmd, timeout=30),
                               timeout=60)

    def exec_sync(self, cmd, cid=None):
        return self.exec_sync_cls(cmd, cid)

    def exec_url(self, cmd, stdin=False, stdout=True, stderr=True, tty=False, cid=None):
        url = self.rt.Exec(self.pb.ExecRequest(container_id=cid or self.cid, cmd=cmd, stdin=stdin,
                                               stdout=stdout, stderr=stderr, tty=tty), timeout=30).url
        self.assertRegex(url, r"^http://[^/]+/exec/[A-Za-z0-9_-]+$")
        return url

    def pf_url(self, *ports):
        url = self.rt.PortForward(self.pb.PortForwardRequest(pod_sandbox_id=self.pod, port=list(ports)),
                                  timeout=30).url
        self.assertRegex(url, r"^http://[^/]+/portforward/[A-Za-z0-9_-]+$")
        return url

    def processes(self, needle):
        """Command lines in the app container's PID namespace view that contain `needle`."""
        out = self.exec_sync(["ps", "-o", "pid,args"]).stdout.decode()
        return [line for line in out.splitlines()[1:] if needle in line and "ps -o" not in line]

    # -- the Go peer -----------------------------------------------------------------------
    def peer(self, url, *args, input=None, timeout=90):
        """Runs the peer to its end: (CompletedProcess, report dict)."""
        with tempfile.NamedTemporaryFile(prefix="peer-report-", suffix=".json") as report:
            proc = subprocess.run([PEER, "-url", url, "-report", report.name, *args], input=input,
                                  capture_output=True, timeout=timeout)
            report.seek(0)
            text = report.read().decode()
        return proc, (json.loads(text.splitlines()[0]) if text.strip() else {})

    def peer_exec(self, cmd, *args, input=None, stdin=None, stdout=True, stderr=None, tty=False, timeout=90):
        """Exec through the CRI Exec call and the Go peer with the same stream options. As with
        kubectl, a terminal has no separate stderr."""
        stdin = input is not None if stdin is None else stdin
        stderr = not tty if stderr is None else stderr
        url = self.exec_url(cmd, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)
        flags = ["-stdin=%s" % str(stdin).lower(), "-stdout=%s" % str(stdout).lower(),
                 "-stderr=%s" % str(stderr).lower(), "-tty=%s" % str(tty).lower()]
        return self.peer(url, *flags, *args, input=input if input is not None else b"", timeout=timeout)

    def assertServerWorks(self):
        proc, rep = self.peer_exec(["echo", "still-serving"])
        self.assertEqual((proc.returncode, proc.stdout), (0, b"still-serving\n"), proc.stderr)

    # -- daemon resources ------------------------------------------------------------------
    def daemon_counts(self):
        pid = self.d.proc.pid
        with open("/proc/%d/status" % pid) as f:
            threads = int(next(l for l in f if l.startswith("Threads:")).split()[1])
        return {"fds": len(os.listdir("/proc/%d/fd" % pid)), "threads": threads}


# -- raw HTTP/1.1 ------------------------------------------------------------------------
def connect(url, timeout=10):
    u = urlparse(url)
    return socket.create_connection((u.hostname, u.port), timeout=timeout)


def read_head(sock, limit=65536):
    """Reads an HTTP response head: (status, {lowercase name: [values]}, bytes after the head)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed before a response head; got %r" % data)
        data += chunk
        if len(data) > limit:
            raise AssertionError("response head too long")
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, rest


def read_to_eof(sock, timeout):
    """Reads until the peer closes; returns (bytes, seconds waited). Raises on timeout."""
    sock.settimeout(timeout)
    start = time.time()
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            raise AssertionError("server kept the connection open for %ss (read %d bytes)" % (timeout, len(data)))
        if not chunk:
            break
        data += chunk
    return data, time.time() - start


def raw_request(url, method="POST", path=None, headers=(), body=b""):
    """Sends one request head; returns the open socket."""
    u = urlparse(url)
    sock = connect(url)
    lines = ["%s %s HTTP/1.1" % (method, path or u.path), "Host: %s" % u.netloc]
    lines += ["%s: %s" % h for h in headers]
    if body or method == "POST":
        lines.append("Content-Length: %d" % len(body))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


def spdy_upgrade_headers(*protocols):
    return [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")] + \
        [("X-Stream-Protocol-Version", p) for p in protocols]


def websocket_upgrade_headers(*protocols, key=None):
    key = key or base64.b64encode(os.urandom(16)).decode()
    headers = [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
               ("Sec-WebSocket-Key", key)]
    if protocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
    return headers


def ws_frame(opcode, payload, fin=True, mask=True, rsv=0):
    """One client WebSocket frame (RFC 6455 §5.2), masked unless told otherwise."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
    if not mask:
        return head + payload
    key = bytes(random.getrandbits(8) for _ in range(4))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
