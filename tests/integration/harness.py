"""Shared pieces of the integration tests: a real airlockd on a private socket and state
directories, the test images, and small polling helpers. Runs under /usr/bin/python3
(Debian's python3-grpcio and python3-protobuf)."""

import os
import shutil
import signal
import sys
import socket
import subprocess
import tempfile
import time
import unittest

import grpc

from cri_client import CriClient

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("AIRLOCK_BUILD_DIR", os.path.join(REPO, "build"))
AIRLOCKD = os.path.join(BUILD, "shim", "daemon", "airlockd")
AIRLOCK = os.path.join(BUILD, "cli", "airlock")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
# An ASan build holds freed memory in quarantine and maps shadow memory: its RSS says nothing
# about leaks (LeakSanitizer and the crash-on-error do that job there).
SANITIZED = os.environ.get("AIRLOCK_SANITIZE", "").upper() in ("ON", "1", "TRUE", "YES")


def require_root(test):
    if os.geteuid() != 0:
        raise unittest.SkipTest("needs root (namespaces, mounts, runc); CI runs as root")


_images = {}


def test_image(fmt="docker-archive"):
    """Builds (once per process) the busybox test image archive in the given format."""
    if fmt not in _images:
        out_dir = os.path.join(BUILD, "test-images")
        os.makedirs(out_dir, exist_ok=True)
        ext = "oci.tar" if fmt == "oci-archive" else "docker.tar"
        path = os.path.join(out_dir, "busybox." + ext)
        if not os.path.exists(path):
            subprocess.run(["/usr/bin/python3", os.path.join(REPO, "scripts", "make-test-image.py"),
                            "--format", fmt, "--tag", "docker.io/library/busybox:latest",
                            "--out", path], check=True)
        _images[fmt] = path
    return _images[fmt]


class Daemon:
    """One airlockd with its own socket, root and state, as several may run side by side."""

    def __init__(self, workdir=None, extra_args=(), env=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="airlock-it-")
        self.root = os.path.join(self.workdir, "root")
        self.state = os.path.join(self.workdir, "state")
        self.socket = os.path.join(self.workdir, "airlock.sock")
        self.log_path = os.path.join(self.workdir, "airlockd.log")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.client = None

    def start(self, timeout=20):
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the fd
            self.proc = subprocess.Popen(
                [AIRLOCKD, "--address", self.socket, "--root", self.root, "--state", self.state,
                 "--log-level", "debug"] + self.extra_args,
                stdout=log, stderr=log, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("airlockd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            if os.path.exists(self.socket):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.socket)
                    s.close()
                    break
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            raise RuntimeError("airlockd did not listen within %ss:\n%s" % (timeout, self.log()))
        self.client = CriClient(self.socket)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def cleanup(self):
        """Removes every pod this daemon still knows about, stops it, and unmounts leftovers."""
        if self.proc and self.proc.poll() is not None:
            # It died under the test (a crash, a sanitizer abort): its log goes away with the
            # workdir below, so show the end of it now.
            sys.stderr.write("\nairlockd exited with status %s during the test; the end of its log:\n%s\n" %
                             (self.proc.returncode, self.log()[-20000:]))
        if self.proc and self.proc.poll() is None and self.client:
            pb = self.client.pb
            try:
                for pod in self.client.runtime.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=30).items:
                    self.client.runtime.RemovePodSandbox(
                        pb.RemovePodSandboxRequest(pod_sandbox_id=pod.id), timeout=60)
            except grpc.RpcError:
                pass
        self.stop()
        # Anything still mounted below our workdir would keep the tree busy.
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[1] for line in f]
        for m in sorted((m for m in mounts if m.startswith(self.workdir)), reverse=True):
            subprocess.run(["umount", "-l", m], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def pod_config(pb, name="pod", namespace="default", uid=None, log_dir=None, host_network=False, **kw):
    uid = uid or ("uid-" + name + "-" + str(time.time_ns()))
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace=namespace, uid=uid, attempt=0),
        hostname=kw.pop("hostname", name),
        log_directory=log_dir or "",
        labels=kw.pop("labels", {}),
        annotations=kw.pop("annotations", {}))
    if host_network:
        cfg.linux.security_context.namespace_options.network = pb.NODE
    return cfg


def container_config(pb, name="c", image="busybox", command=None, args=None, log_path=None, **kw):
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name, attempt=0),
        image=pb.ImageSpec(image=image),
        command=command or [],
        args=args or [],
        log_path=log_path or (name + "/0.log"),
        labels=kw.pop("labels", {}),
        tty=kw.pop("tty", False),
        stdin=kw.pop("stdin", False))
    for k, v in kw.pop("envs", {}).items():
        cfg.envs.add(key=k, value=v.encode() if isinstance(v, str) else v)
    return cfg
