#!/usr/bin/python3
"""Streaming exec benchmark (issues #4 and #5), side by side in one run against one private
airlockd with one busybox container:

  throughput  stdout of `dd if=/dev/zero bs=1M count=1000` (1000 MiB) through SPDY (the Go
              remotecommand peer, output to /dev/null), WebSocket (an in-process client that
              only parses frames), HTTP/2 (`airlock exec`'s session code in
              bench/stream_bench_client, and the `airlock exec` CLI), each with and without a
              tty; baselines: the same dd through `nsenter -t PID -a` and `runc exec` into
              `| cat >/dev/null`. MiB/s medians and the ratio to the nsenter pipe, plus the
              CPU airlockd and the client used per run.
  first byte  `echo hi`: from the start of the CRI Exec call to the first stdout byte, and to
              the end of the session, per transport.
  idle memory N sessions of `sleep 600` over SPDY (the Go peer's batch mode): airlockd's RSS,
              threads and fds before and with them open.
  cli         `airlock exec CID -- true` (HTTP/2) vs `airlock exec --sync` vs the Go peer
              crictl-style (Exec RPC + peer process), wall time per call.

Usage (root):  /usr/bin/python3 bench/stream_bench.py [--build build-bench] [--runs 5]
Build first:   cmake --build build-bench --target airlockd airlock airlock-monitor airlock-pause \
                 remotecommand_peer_client stream_bench_client
"""

import argparse
import base64
import errno
import fcntl
import json
import os
import pty
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from urllib.parse import urlparse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MIB = 1024 * 1024
DD = ["dd", "if=/dev/zero", "bs=1M", "count=1000"]
DD_BYTES = 1000 * MIB


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.environ.get("AIRLOCK_BUILD_DIR", os.path.join(REPO, "build")))
    p.add_argument("--runs", type=int, default=5, help="throughput runs per path")
    p.add_argument("--ttfb-runs", type=int, default=30, help="echo hi runs per transport")
    p.add_argument("--sessions", type=int, default=1000, help="idle sessions for the memory test")
    p.add_argument("--cli-runs", type=int, default=30, help="`true` runs per CLI path")
    p.add_argument("--only", default="throughput,ttfb,memory,cli", help="comma-separated sections")
    return p.parse_args()


ARGS = parse_args()
os.environ["AIRLOCK_BUILD_DIR"] = os.path.abspath(ARGS.build)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import harness  # noqa: E402  (reads AIRLOCK_BUILD_DIR at import)
from harness import Daemon, container_config, pod_config, wait_for  # noqa: E402

PEER = os.path.join(harness.BUILD, "tests", "remotecommand_peer")
CLIENT = os.path.join(harness.BUILD, "bench", "stream_bench_client")
RELAY = os.path.join(harness.BUILD, "bench", "tcp_relay")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- a WebSocket v4.channel.k8s.io client that only parses frames ------------------------------
def ws_exec(url, tty, t0=None, stderr=True):
    """Runs one exec session over WebSocket. Returns dict(first_ns, end_ns, bytes, status).
    Frames are parsed in place in one 4 MiB buffer; payloads are counted, never copied."""
    u = urlparse(url)
    s = socket.create_connection((u.hostname, u.port), timeout=120)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n" % (u.path, u.netloc, key)).encode())
    buf = bytearray(4 * MIB)
    mv = memoryview(buf)
    end = 0
    while True:
        n = s.recv_into(mv[end:], len(buf) - end)
        if n == 0:
            raise RuntimeError("websocket: connection closed during the handshake")
        end += n
        head_end = buf.find(b"\r\n\r\n", 0, end)
        if head_end >= 0:
            break
    status_line = bytes(buf[:buf.find(b"\r\n")])
    if b" 101 " not in status_line:
        raise RuntimeError("websocket: upgrade refused: %r" % bytes(buf[:end]))
    start = head_end + 4
    if tty:
        payload = b"\x04" + b'{"Width":80,"Height":24}'
        mask = os.urandom(4)
        s.sendall(struct.pack("!BB", 0x82, 0x80 | len(payload)) + mask +
                  bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    first_ns = 0
    stdout_bytes = 0
    status = b""
    remaining = 0  # payload bytes of the current frame still to come
    need_channel = False
    channel = opcode = 0
    closed = False
    while not closed:
        if start == end:
            start = end = 0
            n = s.recv_into(mv, len(buf))
            if n == 0:
                break
            end = n
            continue
        if remaining > 0 or need_channel:
            if need_channel:
                channel = buf[start]
                start += 1
                remaining -= 1
                need_channel = False
                continue
            take = min(end - start, remaining)
            if opcode == 2 and channel == 1:
                if first_ns == 0 and take > 0:
                    first_ns = time.time_ns()
                stdout_bytes += take
            elif opcode == 2 and channel == 3:
                status += bytes(buf[start:start + take])
            start += take
            remaining -= take
            continue
        # A frame header: 2 bytes, then 0, 2 or 8 bytes of length (server frames are unmasked).
        avail = end - start
        if avail < 2 or (buf[start + 1] & 0x7F == 126 and avail < 4) or \
                (buf[start + 1] & 0x7F == 127 and avail < 10):
            buf[:avail] = buf[start:end]
            start, end = 0, avail
            n = s.recv_into(mv[end:], len(buf) - end)
            if n == 0:
                break
            end += n
            continue
        opcode = buf[start] & 0x0F
        length = buf[start + 1] & 0x7F
        start += 2
        if length == 126:
            length = struct.unpack_from("!H", buf, start)[0]
            start += 2
        elif length == 127:
            length = struct.unpack_from("!Q", buf, start)[0]
            start += 8
        if opcode == 8:
            closed = True
        remaining = length
        # Binary data frames carry the channel byte first; an empty message is a "ready" signal.
        need_channel = opcode == 2 and length > 0
    end_ns = time.time_ns()
    s.close()
    return {"first_ns": first_ns, "end_ns": end_ns, "bytes": stdout_bytes, "status": status.decode()}


# -- the bench ---------------------------------------------------------------------------------
class Bench:
    def __init__(self):
        # 1,000 sessions hold several fds each in airlockd; it inherits this soft limit.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.nofile = hard
        workdir = tempfile.mkdtemp(prefix="airlock-streambench-")
        # warn: the harness default (debug) would log every session line by line.
        self.d = Daemon(workdir=workdir, extra_args=["--log-level", "warn"]).start()
        self.pb = self.d.client.pb
        self.rt = self.d.client.runtime
        self.d.client.image.PullImage(self.pb.PullImageRequest(
            image=self.pb.ImageSpec(image="oci-archive:" + harness.test_image("oci-archive"))), timeout=120)
        self.log_dir = tempfile.mkdtemp(prefix="airlock-streambench-logs-")
        cfg = pod_config(self.pb, name="streambench", log_dir=self.log_dir)
        self.pod_cfg = cfg
        self.pod = self.rt.RunPodSandbox(self.pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
        ccfg = container_config(self.pb, name="app", command=["sleep", "1000000"])
        self.cid = self.rt.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=self.pod, config=ccfg, sandbox_config=cfg), timeout=60).container_id
        self.rt.StartContainer(self.pb.StartContainerRequest(container_id=self.cid), timeout=60)
        self.runc_root = os.path.join(self.d.state, "runtime")
        state = json.loads(subprocess.run(["runc", "--root", self.runc_root, "state", self.cid],
                                          check=True, capture_output=True).stdout)
        self.pid = state["pid"]
        self.cli = [harness.AIRLOCK, "--runtime-endpoint", "unix://" + self.d.socket]
        self.client = None

    def close(self):
        if self.client:
            self.client.stdin.close()
            self.client.wait(timeout=30)
        self.d.cleanup()
        shutil.rmtree(self.log_dir, ignore_errors=True)

    def daemon_pid(self):
        return self.d.proc.pid

    def daemon_counts(self):
        pid = self.daemon_pid()
        with open("/proc/%d/status" % pid) as f:
            st = dict(line.split(":", 1) for line in f)
        return {"rss_kib": int(st["VmRSS"].split()[0]), "threads": int(st["Threads"]),
                "fds": len(os.listdir("/proc/%d/fd" % pid))}

    def exec_url(self, cmd, tty=False, stdout=True, stderr=True):
        return self.rt.Exec(self.pb.ExecRequest(container_id=self.cid, cmd=cmd, stdin=False,
                                                stdout=stdout, stderr=stderr and not tty, tty=tty),
                            timeout=30).url

    def helper(self, transport, tty, url):
        """One job for stream_bench_client (started once; stays up between jobs)."""
        if self.client is None:
            self.client = subprocess.Popen([CLIENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           text=True, bufsize=1)
        self.client.stdin.write("%s %d %s\n" % (transport, int(tty), url))
        self.client.stdin.flush()
        return json.loads(self.client.stdout.readline())

    # A throughput path returns (seconds, bytes seen by the client or None if not observable).
    def run_nsenter(self, tty):
        t = time.monotonic()
        subprocess.run("nsenter -t %d -a %s 2>/dev/null | cat >/dev/null" % (self.pid, " ".join(DD)),
                       shell=True, check=True)
        return time.monotonic() - t, None

    def run_nsenter_pty(self, tty):
        """The kernel's terminal path without airlock: dd on the slave of a fresh 80x24 PTY,
        the master read as fast as one thread can."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        t = time.monotonic()
        proc = subprocess.Popen(["nsenter", "-t", str(self.pid), "-a", *DD], stdin=slave, stdout=slave,
                                stderr=slave, start_new_session=True)
        os.close(slave)
        buf = bytearray(MIB)
        seen = 0
        while True:
            try:
                n = os.readv(master, [buf])
            except OSError as err:  # EIO: the last slave fd closed
                if err.errno != errno.EIO:
                    raise
                break
            if n == 0:
                break
            seen += n
        proc.wait()
        os.close(master)
        return time.monotonic() - t, seen

    def run_relay(self, mode):
        """The same dd (nsenter) through a protocol-free pipe -> TCP loopback relay: the
        ceiling for any streaming server here (bench/tcp_relay.cc)."""
        def run(tty):
            t = time.monotonic()
            out = subprocess.run("nsenter -t %d -a %s 2>/dev/null | %s %s" % (self.pid, " ".join(DD), RELAY, mode),
                                 shell=True, check=True, capture_output=True, text=True).stdout
            return time.monotonic() - t, int(out)
        return run

    def run_runc(self, tty):
        t = time.monotonic()
        subprocess.run("runc --root %s exec %s %s 2>/dev/null | cat >/dev/null" %
                       (self.runc_root, self.cid, " ".join(DD)), shell=True, check=True)
        return time.monotonic() - t, None

    def run_spdy_peer(self, tty):
        t = time.monotonic()
        url = self.exec_url(DD, tty=tty)
        flags = ["-tty=%s" % str(tty).lower(), "-stderr=%s" % str(not tty).lower(), "-stdin=false"]
        if tty:
            flags.append("-resize=80x24")
        proc = subprocess.run([PEER, "-url", url, "-stdout-file", "/dev/null", "-stderr-file", "/dev/null",
                               *flags], capture_output=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError("peer: %s" % proc.stderr.decode())
        return time.monotonic() - t, None

    def run_ws(self, tty):
        t = time.monotonic()
        r = ws_exec(self.exec_url(DD, tty=tty), tty)
        return time.monotonic() - t, r["bytes"]

    def run_helper(self, transport):
        def run(tty):
            t = time.monotonic()
            r = self.helper(transport, tty, self.exec_url(DD, tty=tty))
            if r.get("error"):
                raise RuntimeError("%s: %s" % (transport, r["error"]))
            return time.monotonic() - t, r["bytes"]
        return run

    def run_cli(self, tty):
        t = time.monotonic()
        proc = subprocess.run(self.cli + ["exec"] + (["-t"] if tty else []) + [self.cid, "--"] + DD,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError("airlock exec: %s" % proc.stderr.decode())
        return time.monotonic() - t, None

    def helper_supports(self, transport):
        r = self.helper(transport, False, self.exec_url(["true"]))
        return not r.get("error"), r.get("error", "")

    # -- sections ---------------------------------------------------------------------------
    def throughput(self):
        paths = [("nsenter -a, piped to cat", False, self.run_nsenter), ("runc exec, piped to cat", False, self.run_runc)]
        if os.access(RELAY, os.X_OK):
            paths.append(("loopback TCP relay of the nsenter pipe (read+send)", False, self.run_relay("copy")))
            paths.append(("loopback TCP relay of the nsenter pipe (splice)", False, self.run_relay("splice")))
        for tty in (False, True):
            if tty:
                paths.append(("nsenter -a, on a PTY read by one thread", True, self.run_nsenter_pty))
            paths.append(("spdy (Go peer)", tty, self.run_spdy_peer))
            paths.append(("websocket (py client)", tty, self.run_ws))
            paths.append(("h2 (stream_bench_client)", tty, self.run_helper("h2")))
            for transport in ("spdy", "websocket"):
                ok, why = self.helper_supports(transport)
                if ok:
                    paths.append(("%s (stream_bench_client)" % transport, tty, self.run_helper(transport)))
                elif not tty:
                    print("# stream_bench_client %s: skipped (%s)" % (transport, why))
        paths.append(("h2 (airlock exec CLI)", False, self.run_cli))
        paths.append(("h2 (airlock exec -t CLI)", True, self.run_cli))
        results = {i: [] for i in range(len(paths))}
        # Round-robin, so that drifting machine load touches every path alike.
        for _ in range(ARGS.runs):
            for i, (name, tty, fn) in enumerate(paths):
                dcpu, ccpu, scpu = cpu_seconds(self.daemon_pid()), children_cpu(), self_cpu()
                if self.client:
                    hcpu = cpu_seconds(self.client.pid)
                secs, seen = fn(tty)
                # With a tty, dd's record counts (stderr) arrive on the terminal too.
                if seen is not None and not DD_BYTES <= seen <= DD_BYTES + (100 if tty else 0):
                    raise RuntimeError("%s tty=%s: client saw %d bytes, expected %d" % (name, tty, seen, DD_BYTES))
                client_cpu = children_cpu() - ccpu + (self_cpu() - scpu if ("py client" in name or "PTY" in name) else 0)
                if "stream_bench_client" in name:
                    client_cpu = cpu_seconds(self.client.pid) - hcpu
                results[i].append((secs, cpu_seconds(self.daemon_pid()) - dcpu, client_cpu))
        base = {tty: median([DD_BYTES / MIB / s for s, _, _ in results[i]])
                for i, (name, tty, _) in enumerate(paths) if name.startswith("nsenter")}
        print("\n## throughput: %s, %d runs per path, MiB/s median (min-max)" % (" ".join(DD), ARGS.runs))
        print("| path | tty | MiB/s | min-max | vs nsenter (same tty) | airlockd CPU s/GiB | client CPU s/GiB |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for i, (name, tty, _) in enumerate(paths):
            rates = [DD_BYTES / MIB / s for s, _, _ in results[i]]
            gib = DD_BYTES / (1024 * MIB)
            dcpu = median([d for _, d, _ in results[i]]) / gib
            ccpu = median([c for _, _, c in results[i]]) / gib
            daemon_col = "-" if name.startswith(("nsenter", "runc", "loopback")) else "%.2f" % dcpu
            print("| %s | %s | %.0f | %.0f-%.0f | %.2f | %s | %.2f |" % (
                name, "yes" if tty else "no", median(rates), min(rates), max(rates),
                median(rates) / base[tty], daemon_col, ccpu))
        sys.stdout.flush()

    def ttfb(self):
        cmd = ["echo", "hi"]
        paths = []

        def spdy_peer():
            t0 = time.time_ns()
            url = self.exec_url(cmd)
            t1 = time.time_ns()
            # Unbuffered: read(1) must not pull the rest into a buffer communicate() skips.
            proc = subprocess.Popen([PEER, "-url", url, "-stdin=false"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, bufsize=0)
            first = proc.stdout.read(1)
            tf = time.time_ns()
            rest, err = proc.communicate(timeout=60)
            te = time.time_ns()
            if first + rest != b"hi\n" or proc.returncode != 0:
                raise RuntimeError("peer: %r %r" % (first + rest, err))
            return t1 - t0, tf - t0, te - t0

        def ws():
            t0 = time.time_ns()
            url = self.exec_url(cmd)
            t1 = time.time_ns()
            r = ws_exec(url, False)
            if r["bytes"] != 3:
                raise RuntimeError("websocket: %r" % r)
            return t1 - t0, r["first_ns"] - t0, r["end_ns"] - t0

        def helper(transport):
            def run():
                t0 = time.time_ns()
                url = self.exec_url(cmd)
                t1 = time.time_ns()
                r = self.helper(transport, False, url)
                if r.get("error") or r["bytes"] != 3:
                    raise RuntimeError("%s: %r" % (transport, r))
                return t1 - t0, r["first_ns"] - t0, r["end_ns"] - t0
            return run

        paths.append(("spdy (Go peer process)", spdy_peer))
        paths.append(("websocket (in-process py)", ws))
        paths.append(("h2 (in-process stream_bench_client)", helper("h2")))
        for transport in ("spdy", "websocket"):
            if self.helper_supports(transport)[0]:
                paths.append(("%s (in-process stream_bench_client)" % transport, helper(transport)))
        results = {i: [] for i in range(len(paths))}
        for _ in range(ARGS.ttfb_runs):
            for i, (_, fn) in enumerate(paths):
                results[i].append(fn())
        # What a process start alone costs the Go peer (flag parsing, then exit).
        floor = []
        for _ in range(ARGS.ttfb_runs):
            t = time.monotonic()
            subprocess.run([PEER, "-h"], capture_output=True)
            floor.append((time.monotonic() - t) * 1000)
        print("\n## first byte: `echo hi`, %d runs per transport, ms medians (p90)" % ARGS.ttfb_runs)
        print("| transport (client) | Exec RPC | first stdout byte | session end |")
        print("|---|---:|---:|---:|")
        for i, (name, _) in enumerate(paths):
            cols = []
            for k in range(3):
                xs = sorted(r[k] / 1e6 for r in results[i])
                cols.append("%.2f (%.2f)" % (median(xs), xs[int(0.9 * (len(xs) - 1))]))
            print("| %s | %s |" % (name, " | ".join(cols)))
        print("Go peer process start alone (`remotecommand_peer -h`): %.2f ms median" % median(floor))
        sys.stdout.flush()

    def sleepers(self):
        """Host pids of the benchmark's `sleep 600` processes."""
        n = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/cmdline" % entry, "rb") as f:
                        n += f.read() == b"sleep\x00600\x00"
                except OSError:
                    pass
        return n

    def open_spdy_sessions(self, total, workdir):
        """`total` sleep sessions through Go peers in batch mode; returns a closer."""
        peers = []
        batch = 200  # below the 1,000 tokens in flight, whatever the peers' pace
        for b in range(0, total, batch):
            urls = [self.exec_url(["sleep", "600"]) for _ in range(min(batch, total - b))]
            path = os.path.join(workdir, "urls.%d" % b)
            with open(path, "w") as f:
                f.write("\n".join(urls) + "\n")
            peers.append(subprocess.Popen([PEER, "-urls-file", path, "-stdin=false", "-timeout", "900s",
                                           "-report", path + ".report"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_for(lambda: self.sleepers() >= b + len(urls), timeout=300, interval=0.5,
                     what="%d sleep 600 sessions" % (b + len(urls)))

        def close():
            for p in peers:
                p.send_signal(signal.SIGKILL)
                p.wait()
        return close

    def open_ws_sessions(self, total, workdir):
        """`total` sleep sessions over WebSocket, upgraded and then left idle in this process."""
        socks = []
        for _ in range(total):
            u = urlparse(self.exec_url(["sleep", "600"]))
            s = socket.create_connection((u.hostname, u.port), timeout=30)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n" % (u.path, u.netloc, key)).encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("websocket: closed during the handshake")
                head += chunk
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise RuntimeError("websocket: upgrade refused: %r" % head)
            socks.append(s)
        wait_for(lambda: self.sleepers() >= total, timeout=300, interval=0.5, what="%d sleepers" % total)

        def close():
            for s in socks:
                s.close()
        return close

    def memory(self):
        total = ARGS.sessions
        workdir = tempfile.mkdtemp(prefix="airlock-streambench-idle-")
        rows = [("start", self.daemon_counts())]
        per = []
        # SPDY twice: the second round shows whether what stays after the first is a leak.
        for name, opener in (("spdy", self.open_spdy_sessions), ("websocket", self.open_ws_sessions),
                             ("spdy", self.open_spdy_sessions)):
            before = self.daemon_counts()
            t = time.monotonic()
            close = opener(total, workdir)
            opened = time.monotonic() - t
            time.sleep(6)  # one client ping period (5 s) passes on every session
            during = self.daemon_counts()
            close()
            # Client gone: no stdin to close, so the 5 s grace ends in SIGKILL.
            wait_for(lambda: self.sleepers() == 0, timeout=120, interval=0.5, what="the sleepers to be killed")
            time.sleep(2)
            after = self.daemon_counts()
            rows += [("%d %s sessions open (opened in %.1f s)" % (total, name, opened), during),
                     ("%s clients gone, sessions ended" % name, after)]
            per.append((name, {k: (during[k] - before[k]) / total for k in during}))
        shutil.rmtree(workdir, ignore_errors=True)
        print("\n## idle sessions: %d x `sleep 600` per round (SPDY: Go peer batch mode, 200 sessions per "
              "process; WebSocket: upgraded sockets held by this script); airlockd RLIMIT_NOFILE %d"
              % (total, self.nofile))
        print("| airlockd | RSS KiB | threads | fds |")
        print("|---|---:|---:|---:|")
        for name, c in rows:
            print("| %s | %d | %d | %d |" % (name, c["rss_kib"], c["threads"], c["fds"]))
        for name, d in per:
            print("Per %s session: %.1f KiB RSS, %.2f threads, %.2f fds" % (
                name, d["rss_kib"], d["threads"], d["fds"]))
        sys.stdout.flush()

    def cli_wall(self):
        def timed(argv):
            t = time.monotonic()
            proc = subprocess.run(argv, capture_output=True, timeout=60)
            if proc.returncode != 0:
                raise RuntimeError("%s: %s" % (argv, proc.stderr.decode()))
            return (time.monotonic() - t) * 1000

        def peer():
            t = time.monotonic()
            url = self.exec_url(["true"])
            proc = subprocess.run([PEER, "-url", url, "-stdin=false"], capture_output=True, timeout=60)
            if proc.returncode != 0:
                raise RuntimeError("peer: %s" % proc.stderr.decode())
            return (time.monotonic() - t) * 1000

        paths = [("airlock exec CID -- true (h2)", lambda: timed(self.cli + ["exec", self.cid, "--", "true"]))]
        for transport in ("spdy", "websocket"):
            probe = subprocess.run(self.cli + ["exec", "--transport", transport, self.cid, "--", "true"],
                                   capture_output=True)
            if probe.returncode == 0:
                paths.append(("airlock exec --transport %s CID -- true" % transport,
                              lambda t=transport: timed(self.cli + ["exec", "--transport", t, self.cid, "--", "true"])))
            else:
                print("# airlock exec --transport %s: skipped (%s)" % (transport, probe.stderr.decode().strip()))
        paths.append(("airlock exec --sync CID -- true", lambda: timed(self.cli + ["exec", "--sync", self.cid, "--", "true"])))
        paths.append(("Exec RPC (warm channel) + Go SPDY peer process", peer))
        results = {i: [] for i in range(len(paths))}
        for _ in range(ARGS.cli_runs):
            for i, (_, fn) in enumerate(paths):
                results[i].append(fn())
        print("\n## `true` end to end, %d runs per path, wall ms" % ARGS.cli_runs)
        print("| path | median | p90 |")
        print("|---|---:|---:|")
        for i, (name, _) in enumerate(paths):
            xs = sorted(results[i])
            print("| %s | %.2f | %.2f |" % (name, median(xs), xs[int(0.9 * (len(xs) - 1))]))
        sys.stdout.flush()


def main():
    if os.geteuid() != 0:
        sys.exit("stream_bench: needs root (runc, namespaces)")
    for tool in (harness.AIRLOCKD, harness.AIRLOCK, PEER, CLIENT):
        if not os.access(tool, os.X_OK):
            sys.exit("stream_bench: %s is missing; build it first (see --help)" % tool)
    b = Bench()
    try:
        print("# stream_bench: container %s (init pid %d), %d cores, %s, load %s" % (
            b.cid, b.pid, os.cpu_count(), os.uname().release, " ".join("%.2f" % x for x in os.getloadavg())))
        print("# airlockd at start: %s" % b.daemon_counts())
        sections = ARGS.only.split(",")
        if "throughput" in sections:
            b.throughput()
        if "ttfb" in sections:
            b.ttfb()
        if "cli" in sections:
            b.cli_wall()
        if "memory" in sections:
            b.memory()
        print("\n# airlockd at the end: %s; load %s" % (
            b.daemon_counts(), " ".join("%.2f" % x for x in os.getloadavg())))
    finally:
        b.close()


if __name__ == "__main__":
    main()
