"""CRI Exec, Attach and PortForward against a real airlockd and real runc: what the calls
check before they hand out a URL (the gRPC code and a message naming the field), the URL
itself (absolute, http, the streaming server's port, a single-use token), the token limit,
and that the streaming server answers 404 to a token it does not hold."""

import http.client
import re
import socket
import tempfile
import time
import unittest

import grpc

import harness
from harness import Daemon, container_config, pod_config, wait_for

URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/(exec|attach|portforward)/([A-Za-z0-9_-]{22})$")


def http_get(port, path):
    """A plain HTTP/1.1 GET (no upgrade), as a browser or a confused client would send."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class RpcCase(unittest.TestCase):
    def assertCode(self, code, fn, *needles):
        with self.assertRaises(grpc.RpcError) as e:
            fn()
        self.assertEqual(e.exception.code(), code, e.exception.details())
        for n in needles:
            self.assertIn(n, e.exception.details())
        return e.exception.details()

    def assertStreamUrl(self, url, kind, port=None):
        m = URL.match(url)
        self.assertIsNotNone(m, "not an absolute http streaming URL: %r" % url)
        self.assertEqual(m.group(2), kind)
        if port is not None:
            self.assertEqual(int(m.group(1)), port)
        return int(m.group(1)), m.group(3)


class StreamRpcsTest(RpcCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        cls.d = Daemon().start()
        pb = cls.pb = cls.d.client.pb
        cls.rt = cls.d.client.runtime
        cls.d.client.image.PullImage(pb.PullImageRequest(
            image=pb.ImageSpec(image="oci-archive:" + harness.test_image("oci-archive"))), timeout=120)
        logs = tempfile.mkdtemp(prefix="airlock-stream-logs-")
        cls.pod_cfg = pod_config(pb, name="streampod", log_dir=logs)
        cls.pod = cls.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cls.pod_cfg), timeout=60).pod_sandbox_id
        cls.cid = cls.start(container_config(pb, name="app", command=["sleep", "100000"]))
        # A container that has exited, and a pod that was stopped.
        cls.exited = cls.start(container_config(pb, name="done", command=["true"]))
        wait_for(lambda: cls.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cls.exited),
                                                timeout=10).status.state == pb.CONTAINER_EXITED,
                 what="the short-lived container to exit")
        stopped_cfg = pod_config(pb, name="stoppedpod")
        cls.stopped_pod = cls.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=stopped_cfg),
                                               timeout=60).pod_sandbox_id
        cls.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=cls.stopped_pod), timeout=60)

    @classmethod
    def start(cls, cfg):
        pb = cls.pb
        cid = cls.rt.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=cls.pod, config=cfg, sandbox_config=cls.pod_cfg), timeout=60).container_id
        cls.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return cid

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def exec_req(self, **kw):
        args = dict(container_id=self.cid, cmd=["sh"], stdin=True, stdout=True)
        args.update(kw)
        return self.pb.ExecRequest(**args)

    def attach_req(self, **kw):
        args = dict(container_id=self.cid, stdout=True)
        args.update(kw)
        return self.pb.AttachRequest(**args)

    # -- URLs ------------------------------------------------------------------------------
    def test_urls_are_absolute_http_on_the_streaming_port_with_fresh_tokens(self):
        pb = self.pb
        e1 = self.rt.Exec(self.exec_req(tty=True), timeout=10).url
        port, t1 = self.assertStreamUrl(e1, "exec")
        _, t2 = self.assertStreamUrl(self.rt.Exec(self.exec_req(), timeout=10).url, "exec", port)
        _, t3 = self.assertStreamUrl(self.rt.Attach(self.attach_req(), timeout=10).url, "attach", port)
        _, t4 = self.assertStreamUrl(self.rt.PortForward(
            pb.PortForwardRequest(pod_sandbox_id=self.pod, port=[80, 8080]), timeout=10).url,
            "portforward", port)
        self.assertEqual(len({t1, t2, t3, t4}), 4)
        # The port is the streaming server's: something listens there.
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        self.assertIn("streaming=http://127.0.0.1:%d/" % port, self.d.log())

    def test_a_container_id_prefix_is_accepted(self):
        url = self.rt.Exec(self.exec_req(container_id=self.cid[:12]), timeout=10).url
        self.assertStreamUrl(url, "exec")

    def test_port_forward_without_ports_is_valid(self):
        # SPDY clients name the port of each connection in its stream headers.
        url = self.rt.PortForward(self.pb.PortForwardRequest(pod_sandbox_id=self.pod), timeout=10).url
        self.assertStreamUrl(url, "portforward")

    # -- validation: Exec --------------------------------------------------------------------
    def test_exec_validation(self):
        C = grpc.StatusCode
        ex = lambda **kw: self.rt.Exec(self.exec_req(**kw), timeout=10)
        self.assertCode(C.INVALID_ARGUMENT, lambda: ex(container_id=""), "container_id")
        self.assertCode(C.NOT_FOUND, lambda: ex(container_id="nosuchcontainer"), "nosuchcontainer")
        self.assertCode(C.FAILED_PRECONDITION, lambda: ex(container_id=self.exited),
                        self.exited, "not running")
        self.assertCode(C.INVALID_ARGUMENT, lambda: ex(tty=True, stderr=True), "tty", "stderr")
        self.assertCode(C.INVALID_ARGUMENT, lambda: ex(stdin=False, stdout=False, stderr=False),
                        "stdin, stdout, or stderr")
        self.assertCode(C.INVALID_ARGUMENT, lambda: ex(cmd=[]), "cmd")

    # -- validation: Attach ------------------------------------------------------------------
    def test_attach_validation(self):
        C = grpc.StatusCode
        at = lambda **kw: self.rt.Attach(self.attach_req(**kw), timeout=10)
        self.assertCode(C.INVALID_ARGUMENT, lambda: at(container_id=""), "container_id")
        self.assertCode(C.NOT_FOUND, lambda: at(container_id="nosuchcontainer"), "nosuchcontainer")
        self.assertCode(C.FAILED_PRECONDITION, lambda: at(container_id=self.exited),
                        self.exited, "not running")
        self.assertCode(C.INVALID_ARGUMENT, lambda: at(tty=True, stderr=True), "tty", "stderr")
        self.assertCode(C.INVALID_ARGUMENT, lambda: at(stdout=False), "stdin, stdout, or stderr")

    # -- validation: PortForward -------------------------------------------------------------
    def test_port_forward_validation(self):
        C, pb = grpc.StatusCode, self.pb
        pf = lambda sid, ports: self.rt.PortForward(
            pb.PortForwardRequest(pod_sandbox_id=sid, port=ports), timeout=10)
        self.assertCode(C.INVALID_ARGUMENT, lambda: pf("", [80]), "pod_sandbox_id")
        self.assertCode(C.NOT_FOUND, lambda: pf("nosuchpod", [80]), "nosuchpod")
        self.assertCode(C.FAILED_PRECONDITION, lambda: pf(self.stopped_pod, [80]),
                        self.stopped_pod, "not ready")
        self.assertCode(C.INVALID_ARGUMENT, lambda: pf(self.pod, [80, 0]), "port[1] 0")
        self.assertCode(C.INVALID_ARGUMENT, lambda: pf(self.pod, [65536]), "port[0] 65536")
        self.assertCode(C.INVALID_ARGUMENT, lambda: pf(self.pod, [-5]), "port[0] -5")

    # -- the streaming server and the tokens -------------------------------------------------
    def test_unknown_token_is_404(self):
        port, _ = self.assertStreamUrl(self.rt.Exec(self.exec_req(), timeout=10).url, "exec")
        for path in ("/exec/AAAAAAAAAAAAAAAAAAAAAA", "/attach/nope", "/portforward/x"):
            status, _ = http_get(port, path)
            self.assertEqual(status, 404, path)

    def test_a_used_token_is_404(self):
        port, token = self.assertStreamUrl(self.rt.Exec(self.exec_req(), timeout=10).url, "exec")
        # The first presentation consumes the token, whatever becomes of the request (this
        # one asks for no upgrade, so it fails after the lookup)...
        first, _ = http_get(port, "/exec/" + token)
        self.assertNotEqual(first, 404)
        # ...and the second finds nothing.
        second, _ = http_get(port, "/exec/" + token)
        self.assertEqual(second, 404)

    def test_a_token_shown_on_the_wrong_path_is_burnt(self):
        port, token = self.assertStreamUrl(self.rt.Exec(self.exec_req(), timeout=10).url, "exec")
        self.assertEqual(http_get(port, "/attach/" + token)[0], 404)
        self.assertEqual(http_get(port, "/exec/" + token)[0], 404)


class StreamTokenLimitTest(RpcCase):
    """A daemon of its own: 1,000 waiting tokens would get in the way of the other tests."""

    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        cls.port = probe.getsockname()[1]
        probe.close()
        cls.d = Daemon(extra_args=["--stream-port", str(cls.port)]).start()
        cls.pb = cls.d.client.pb
        cls.rt = cls.d.client.runtime
        cls.pod = cls.rt.RunPodSandbox(cls.pb.RunPodSandboxRequest(config=pod_config(cls.pb, name="limitpod")),
                                       timeout=60).pod_sandbox_id

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_stream_port_flag_and_the_1001st_token(self):
        req = self.pb.PortForwardRequest(pod_sandbox_id=self.pod, port=[80])
        tokens = set()
        for _ in range(1000):
            _, token = self.assertStreamUrl(self.rt.PortForward(req, timeout=10).url, "portforward",
                                            self.port)
            tokens.add(token)
        self.assertEqual(len(tokens), 1000)
        self.assertCode(grpc.StatusCode.RESOURCE_EXHAUSTED, lambda: self.rt.PortForward(req, timeout=10),
                        "in-flight")
        # Redeeming one frees one slot.
        status, _ = http_get(self.port, "/portforward/" + next(iter(tokens)))
        self.assertNotEqual(status, 404)
        self.assertStreamUrl(self.rt.PortForward(req, timeout=10).url, "portforward", self.port)


if __name__ == "__main__":
    unittest.main()
