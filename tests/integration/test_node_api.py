"""The node exec API end to end (issue #6): a real airlockd with TLS, client certificates and the
node API switched on by a config file written here; a CA, server and client certificates made
with the `openssl` command; a static token file and a policy. Clients are what users run:
`airlock --server https://... exec` (HTTP/2, and --transport spdy|websocket), a raw HTTP/1.1
SPDY upgrade over Python's ssl, and websocket-client over wss. Every attempt must leave exactly
one JSON line in the audit log; a tty session is recorded as asciicast v2 and replayed by
`asciinema cat`."""

import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from urllib.parse import urlparse

import websocket

import harness
from harness import Daemon, container_config, pod_config, wait_for
from nodee2e_pki import Pki
from stream_util import read_head, spdy_upgrade_headers

NODE = "node-e2e"
ALICE_TOKEN = "alice-token-5f1c0d2e9a7b"
ADMIN_TOKEN = "admin-token-b3e8a4c6d0f2"
TOKENS = """%s,alice,1001,"developers,viewers"
%s,root-admin,0,"system:masters"
""" % (ALICE_TOKEN, ADMIN_TOKEN)
POLICY = """admin_groups = ["system:masters", "cluster-admin"]

[[allow]]
users = ["alice"]
namespaces = ["default"]

[[allow]]
groups = ["developers"]
namespaces = ["default"]
"""
STATUS, STDOUT = 3, 1  # WebSocket channels


class NodeApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        for tool in ("openssl", "asciinema", "script", "tmux"):
            if shutil.which(tool) is None:
                raise AssertionError("%s is missing (scripts/install-deps.sh installs it)" % tool)
        cls.tmp = tempfile.mkdtemp(prefix="airlock-nodeapi-")
        cls.pki = Pki(os.path.join(cls.tmp, "pki"))
        cls.admin_cert = cls.pki.client("cert-admin", "cert-admin", ["system:masters"])
        cls.dev_cert = cls.pki.client("carol", "carol", ["developers"])
        cls.untrusted_cert = cls.pki.client("mallory", "mallory", ["system:masters"], trusted=False)
        tokens, policy = os.path.join(cls.tmp, "tokens.csv"), os.path.join(cls.tmp, "policy.toml")
        with open(tokens, "w") as f:
            f.write(TOKENS)
        with open(policy, "w") as f:
            f.write(POLICY)
        cls.audit_log = os.path.join(cls.tmp, "audit", "exec-audit.log")
        cls.recordings = os.path.join(cls.tmp, "recordings")
        config = os.path.join(cls.tmp, "airlock.toml")
        with open(config, "w") as f:
            f.write("""[streaming]
enable_tls = true
tls_cert_file = "%s"
tls_key_file = "%s"
tls_client_ca_file = "%s"

[node_api]
enabled = true
node_name = "%s"
token_file = "%s"
policy_file = "%s"
audit_log = "%s"
record_tty_sessions = true
recording_dir = "%s"
""" % (cls.pki.server_cert, cls.pki.server_key, cls.pki.ca_cert, NODE, tokens, policy,
                cls.audit_log, cls.recordings))
        os.makedirs(os.path.join(cls.tmp, "daemon"))
        cls.d = Daemon(workdir=os.path.join(cls.tmp, "daemon"), extra_args=["--config", config])
        cls.d.start()
        try:
            cls.setup_pods()
        except BaseException:
            cls.d.cleanup()
            raise

    @classmethod
    def setup_pods(cls):
        pb = cls.pb = cls.d.client.pb
        cls.rt = cls.d.client.runtime
        cls.d.client.image.PullImage(pb.PullImageRequest(
            image=pb.ImageSpec(image="oci-archive:" + harness.test_image("oci-archive"))), timeout=120)
        cls.web = cls.run_pod(pod_config(pb, name="web"), "app")
        cls.run_pod(pod_config(pb, name="web", namespace="prod"), "app")
        priv_pod = pod_config(pb, name="privpod")
        priv_pod.linux.security_context.privileged = True
        cls.run_pod(priv_pod, "priv", privileged=True)
        cls.run_pod(pod_config(pb, name="hostnet", host_network=True), "app")
        # The streaming port: from the URL of a CRI Exec call (a token nobody will use).
        url = cls.rt.Exec(pb.ExecRequest(container_id=cls.web, cmd=["true"], stdout=True),
                          timeout=30).url
        u = urlparse(url)
        if u.scheme != "https":
            raise AssertionError("with enable_tls the CRI Exec URL should be https: %s" % url)
        cls.port = u.port
        cls.server = "https://127.0.0.1:%d" % cls.port

    @classmethod
    def run_pod(cls, pod_cfg, container, privileged=False):
        pb = cls.pb
        pod = cls.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg), timeout=60).pod_sandbox_id
        cfg = container_config(pb, name=container, command=["sleep", "100000"])
        if privileged:
            cfg.linux.security_context.privileged = True
        cid = cls.rt.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=pod, config=cfg, sandbox_config=pod_cfg), timeout=60).container_id
        cls.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return cid

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- clients ---------------------------------------------------------------------------
    def cli(self, pod, container, *cmd, token=None, cert=None, ns=None, path="", transport=None,
            flags=(), input=None, ca=True):
        args = [harness.AIRLOCK, "--server", self.server + path]
        if ca:
            args += ["--certificate-authority", self.pki.ca_cert]
        if token is not None:
            args += ["--token", token]
        if cert is not None:
            args += ["--client-certificate", cert[0], "--client-key", cert[1]]
        args += ["exec"]
        if ns:
            args += ["-n", ns]
        if transport:
            args += ["--transport", transport]
        args += [*flags, pod, "-c", container, "--", *cmd]
        return subprocess.run(args, capture_output=True, input=input, timeout=60)

    def tls_socket(self, alpn="http/1.1", cert=None):
        ctx = ssl.create_default_context(cafile=self.pki.ca_cert)
        ctx.set_alpn_protocols([alpn])
        if cert:
            ctx.load_cert_chain(cert[0], cert[1])
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=15)
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def spdy_upgrade(self, path, token=None, cert=None):
        """A client-go-shaped SPDY upgrade request over TLS: (status, headers, body)."""
        sock = self.tls_socket(cert=cert)
        try:
            lines = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % self.port]
            lines += ["%s: %s" % h for h in spdy_upgrade_headers("v4.channel.k8s.io")]
            if token:
                lines.append("Authorization: Bearer " + token)
            lines.append("Content-Length: 0")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status, headers, rest = read_head(sock)
            want = int(headers.get("content-length", ["0"])[0])
            while len(rest) < want:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
            return status, headers, rest.decode(errors="replace")
        finally:
            sock.close()

    def websocket_exec(self, path, token):
        """A v4.channel.k8s.io session over wss: (stdout, status dict). Refusals raise
        websocket.WebSocketBadStatusException."""
        ws = websocket.create_connection(
            "wss://127.0.0.1:%d%s" % (self.port, path), timeout=30,
            header=["Authorization: Bearer " + token] if token else [],
            subprotocols=["v4.channel.k8s.io"], sslopt={"ca_certs": self.pki.ca_cert})
        stdout, status = b"", b""
        try:
            while True:
                try:
                    opcode, data = ws.recv_data(control_frame=True)
                except websocket.WebSocketConnectionClosedException:
                    break
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                if opcode != websocket.ABNF.OPCODE_BINARY or not data:
                    continue
                if data[0] == STDOUT:
                    stdout += data[1:]
                elif data[0] == STATUS:
                    status += data[1:]
        finally:
            ws.close()
        return stdout, json.loads(status.decode()) if status else {}

    def websocket_status(self, path, token):
        """The HTTP status of a refused WebSocket upgrade."""
        with self.assertRaises(websocket.WebSocketBadStatusException) as caught:
            self.websocket_exec(path, token)
        return caught.exception.status_code

    # -- the audit log ---------------------------------------------------------------------
    def audit_lines(self):
        try:
            with open(self.audit_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def attempt(self, action):
        """Runs one exec attempt; returns (its result, the one audit line it added)."""
        before = len(self.audit_lines())
        result = action()
        # An allowed session's line is written when the server ends it, a moment after the
        # client saw the status.
        wait_for(lambda: len(self.audit_lines()) > before, timeout=10, what="an audit line")
        time.sleep(0.3)
        added = self.audit_lines()[before:]
        self.assertEqual(len(added), 1, "one audit line per attempt, got:\n%s" %
                         "\n".join(json.dumps(a) for a in added))
        return result, added[0]

    def assertAudit(self, line, **want):
        for key, value in want.items():
            self.assertEqual(line.get(key), value, "audit field %s in %s" % (key, json.dumps(line)))
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")
        self.assertRegex(line["source"], r"^127\.0\.0\.1:\d+$")
        for key in ("user", "groups", "transport", "namespace", "pod", "container", "command",
                    "tty", "decision", "reason", "exit_code", "bytes_in", "bytes_out",
                    "duration_ms"):
            self.assertIn(key, line)

    def assertDenied(self, line, status, transport, reason_part):
        self.assertAudit(line, decision="deny", http_status=status, transport=transport,
                         exit_code=None)
        self.assertIn(reason_part, line["reason"])

    # -- allowed ---------------------------------------------------------------------------
    def test_cli_remote_exec_prints_the_date(self):
        p, line = self.attempt(lambda: self.cli("web", "app", "date", token=ALICE_TOKEN))
        self.assertEqual(p.returncode, 0, p.stderr)
        # busybox: "Tue Mar  5 10:11:12 UTC 2024"
        self.assertRegex(p.stdout.decode(), r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \w+ \d{4}\n$")
        self.assertIn(time.strftime("%Y", time.gmtime()), p.stdout.decode())
        self.assertAudit(line, decision="allow", user="alice", groups=["developers", "viewers"],
                         auth="token", transport="h2", namespace="default", pod="web",
                         container="app", container_id=self.web, command=["date"], tty=False,
                         stdin=False, stdout=True, stderr=True, exit_code=0)
        self.assertEqual(line["bytes_out"], len(p.stdout))
        self.assertGreaterEqual(line["duration_ms"], 0)

    def test_cli_remote_exec_behaves_like_local_exec(self):
        p, line = self.attempt(lambda: self.cli("web", "app", "sh", "-c", "echo out; echo err >&2; exit 7",
                                                token=ALICE_TOKEN))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (7, b"out\n", b"err\n"))
        self.assertAudit(line, decision="allow", exit_code=7)
        p, line = self.attempt(lambda: self.cli("web", "app", "sh", "-c", "cat; echo done", flags=("-i",),
                                                token=ALICE_TOKEN, input=b"hello\nworld\n"))
        self.assertEqual((p.returncode, p.stdout), (0, b"hello\nworld\ndone\n"), p.stderr)
        self.assertAudit(line, stdin=True, bytes_in=12, exit_code=0)
        # Arguments that need escaping in a URL arrive as they were typed.
        word = "a b&c=d?e/f%g+h\u00e9"
        p, line = self.attempt(lambda: self.cli("web", "app", "echo", word, token=ALICE_TOKEN))
        self.assertEqual(p.stdout.decode(), word + "\n", p.stderr)
        self.assertEqual(line["command"], ["echo", word])

    def test_token_file_works_like_token(self):
        token_file = os.path.join(self.tmp, "alice.token")
        with open(token_file, "w") as f:
            f.write(ALICE_TOKEN + "\n")
        p = subprocess.run([harness.AIRLOCK, "--server", self.server, "--token-file", token_file,
                            "--certificate-authority", self.pki.ca_cert, "exec", "web", "-c", "app",
                            "--", "echo", "via-file"], capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, b"via-file\n"), p.stderr)

    def test_proxy_path_names_this_node_or_is_404(self):
        p, line = self.attempt(lambda: self.cli("web", "app", "echo", "proxied", token=ALICE_TOKEN,
                                                path="/proxy/nodes/" + NODE))
        self.assertEqual((p.returncode, p.stdout), (0, b"proxied\n"), p.stderr)
        self.assertAudit(line, decision="allow", path="/proxy/nodes/%s/exec/default/web/app" % NODE)
        p, line = self.attempt(lambda: self.cli("web", "app", "echo", "x", token=ALICE_TOKEN,
                                                path="/proxy/nodes/some-other-node"))
        self.assertEqual((p.returncode, p.stdout), (1, b""))
        err = p.stderr.decode()
        self.assertIn("404", err)
        self.assertIn('node "some-other-node" not found', err)
        self.assertDenied(line, 404, "h2", "some-other-node")
        # Over SPDY as well.
        (status, _, body), line = self.attempt(lambda: self.spdy_upgrade(
            "/proxy/nodes/some-other-node/exec/default/web/app?command=true&output=1", ALICE_TOKEN))
        self.assertEqual(status, 404, body)
        self.assertDenied(line, 404, "spdy", "some-other-node")

    def test_unknown_pod_or_container_is_404(self):
        p, line = self.attempt(lambda: self.cli("nosuchpod", "app", "true", token=ALICE_TOKEN))
        self.assertEqual(p.returncode, 1)
        self.assertIn("404", p.stderr.decode())
        self.assertIn("nosuchpod", p.stderr.decode())
        self.assertDenied(line, 404, "h2", "nosuchpod")
        p, line = self.attempt(lambda: self.cli("web", "nosuchcontainer", "true", token=ALICE_TOKEN))
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuchcontainer", p.stderr.decode())
        self.assertDenied(line, 404, "h2", "nosuchcontainer")

    # -- the privileged rule ---------------------------------------------------------------
    def test_user_is_refused_on_a_privileged_container_on_every_transport(self):
        path = "/exec/default/privpod/priv?command=id&output=1&error=1"
        # HTTP/2: the CLI.
        p, line = self.attempt(lambda: self.cli("privpod", "priv", "id", token=ALICE_TOKEN))
        self.assertEqual((p.returncode, p.stdout), (1, b""))
        err = p.stderr.decode()
        self.assertIn("403", err)
        self.assertIn("privileged", err)
        self.assertDenied(line, 403, "h2", "privileged")
        self.assertAudit(line, user="alice", pod="privpod", container="priv", command=["id"])
        # SPDY: a raw upgrade request, as client-go sends it.
        (status, _, body), line = self.attempt(lambda: self.spdy_upgrade(path, ALICE_TOKEN))
        self.assertEqual(status, 403, body)
        self.assertIn("privileged", body)
        self.assertDenied(line, 403, "spdy", "privileged")
        # WebSocket: websocket-client.
        status, line = self.attempt(lambda: self.websocket_status(path, ALICE_TOKEN))
        self.assertEqual(status, 403)
        self.assertDenied(line, 403, "websocket", "privileged")
        # The CLI's other transports.
        for transport, name in (("spdy", "spdy"), ("websocket", "websocket")):
            p, line = self.attempt(lambda: self.cli("privpod", "priv", "id", token=ALICE_TOKEN,
                                                    transport=transport))
            self.assertEqual(p.returncode, 1, transport)
            self.assertIn("403", p.stderr.decode(), transport)
            self.assertDenied(line, 403, name, "privileged")

    def test_host_network_pod_counts_as_privileged(self):
        p, line = self.attempt(lambda: self.cli("hostnet", "app", "true", token=ALICE_TOKEN))
        self.assertEqual(p.returncode, 1)
        self.assertIn("403", p.stderr.decode())
        self.assertDenied(line, 403, "h2", "network")
        p, line = self.attempt(lambda: self.cli("hostnet", "app", "echo", "ok", token=ADMIN_TOKEN))
        self.assertEqual((p.returncode, p.stdout), (0, b"ok\n"), p.stderr)

    def test_admin_execs_into_a_privileged_container_on_every_transport(self):
        for transport in ("h2", "spdy", "websocket"):
            p, line = self.attempt(lambda: self.cli("privpod", "priv", "sh", "-c", "echo admin-$0",
                                                    transport, token=ADMIN_TOKEN, transport=transport))
            self.assertEqual((p.returncode, p.stdout), (0, ("admin-%s\n" % transport).encode()),
                             p.stderr)
            self.assertAudit(line, decision="allow", user="root-admin", groups=["system:masters"],
                             transport=transport, pod="privpod", exit_code=0)
        # And from websocket-client, a peer that is not ours.
        (stdout, status), line = self.attempt(lambda: self.websocket_exec(
            "/exec/default/privpod/priv?command=echo&command=ws-peer&output=1", ADMIN_TOKEN))
        self.assertEqual(stdout, b"ws-peer\n")
        self.assertEqual(status.get("status"), "Success", status)
        self.assertAudit(line, decision="allow", transport="websocket", command=["echo", "ws-peer"])

    def test_namespace_policy(self):
        p, line = self.attempt(lambda: self.cli("web", "app", "true", token=ALICE_TOKEN, ns="prod"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("403", p.stderr.decode())
        self.assertIn("Forbidden (user=alice", p.stderr.decode())
        self.assertDenied(line, 403, "h2", "user=alice")
        self.assertAudit(line, namespace="prod")
        # Admins are not bound to the policy's namespaces.
        p = self.cli("web", "app", "echo", "prod-ok", token=ADMIN_TOKEN, ns="prod")
        self.assertEqual((p.returncode, p.stdout), (0, b"prod-ok\n"), p.stderr)

    # -- authentication --------------------------------------------------------------------
    def test_missing_or_wrong_token_is_401(self):
        p, line = self.attempt(lambda: self.cli("web", "app", "true"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("401", p.stderr.decode())
        self.assertIn("Unauthorized", p.stderr.decode())
        self.assertDenied(line, 401, "h2", "no credentials")
        self.assertAudit(line, user="", groups=[])
        p, line = self.attempt(lambda: self.cli("web", "app", "true", token="not-a-token"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("401", p.stderr.decode())
        self.assertDenied(line, 401, "h2", "invalid bearer token")
        (status, headers, _), line = self.attempt(lambda: self.spdy_upgrade(
            "/exec/default/web/app?command=true&output=1"))
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("www-authenticate"), ["Bearer"])
        self.assertDenied(line, 401, "spdy", "no credentials")
        status, line = self.attempt(lambda: self.websocket_status(
            "/exec/default/web/app?command=true&output=1", "wrong"))
        self.assertEqual(status, 401)
        self.assertDenied(line, 401, "websocket", "invalid bearer token")
        # An anonymous client learns nothing: a pod that does not exist is still a 401.
        (status, _, body), _ = self.attempt(lambda: self.spdy_upgrade(
            "/exec/default/nosuchpod/app?command=true&output=1"))
        self.assertEqual(status, 401, body)

    def test_client_certificate_identity(self):
        # CN=cert-admin, O=system:masters: an admin without any token.
        p, line = self.attempt(lambda: self.cli("privpod", "priv", "echo", "mtls", cert=self.admin_cert))
        self.assertEqual((p.returncode, p.stdout), (0, b"mtls\n"), p.stderr)
        self.assertAudit(line, decision="allow", auth="certificate", user="cert-admin",
                         groups=["system:masters"])
        # CN=carol, O=developers: the developers rule lets her into default, not the privileged pod.
        p, line = self.attempt(lambda: self.cli("web", "app", "echo", "carol", cert=self.dev_cert))
        self.assertEqual((p.returncode, p.stdout), (0, b"carol\n"), p.stderr)
        self.assertAudit(line, auth="certificate", user="carol", groups=["developers"])
        p, line = self.attempt(lambda: self.cli("privpod", "priv", "true", cert=self.dev_cert))
        self.assertEqual(p.returncode, 1)
        self.assertDenied(line, 403, "h2", "privileged")
        # Over SPDY too: the identity comes from the TLS layer, whatever the protocol.
        (status, _, body), line = self.attempt(lambda: self.spdy_upgrade(
            "/exec/default/privpod/priv?command=true&output=1", cert=self.dev_cert))
        self.assertEqual(status, 403, body)
        self.assertDenied(line, 403, "spdy", "privileged")
        self.assertAudit(line, auth="certificate", user="carol")
        # A certificate from a CA the node does not trust is no identity: no exec happens.
        before = len(self.audit_lines())
        p = self.cli("privpod", "priv", "echo", "should-not-run", cert=self.untrusted_cert)
        self.assertEqual(p.returncode, 1)
        self.assertNotIn(b"should-not-run", p.stdout)
        self.assertIn("alert", p.stderr.decode())  # the server's TLS alert, passed on
        time.sleep(0.3)
        for added in self.audit_lines()[before:]:
            self.assertAudit(added, decision="deny", http_status=401)

    def test_the_node_certificate_is_verified(self):
        # Without the CA the CLI refuses the self-made certificate, and says what to do.
        p = self.cli("web", "app", "true", token=ALICE_TOKEN, ca=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--certificate-authority", p.stderr.decode())
        p = subprocess.run([harness.AIRLOCK, "--server", self.server, "--token", ALICE_TOKEN,
                            "--insecure-skip-tls-verify", "exec", "web", "-c", "app", "--", "echo",
                            "insecure"], capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, b"insecure\n"), p.stderr)
        # The token never goes out in clear text.
        p = subprocess.run([harness.AIRLOCK, "--server", "http://127.0.0.1:%d" % self.port, "--token",
                            ALICE_TOKEN, "exec", "web", "-c", "app", "--", "true"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("clear text", p.stderr.decode())

    def test_other_verbs_refuse_server_instead_of_asking_the_local_runtime(self):
        for args in (["--server", self.server, "ps"], ["pods", "--server", self.server]):
            p = subprocess.run([harness.AIRLOCK, "--runtime-endpoint", "unix://" + self.d.socket, *args],
                               capture_output=True, timeout=60)
            self.assertEqual((p.returncode, p.stdout), (1, b""), args)
            self.assertIn("--server", p.stderr.decode())
            self.assertIn("exec only", p.stderr.decode())

    def test_local_exec_through_cri_verifies_the_https_url(self):
        # CRI Exec hands out https URLs when TLS is on; local exec verifies them with the same
        # flag, and these token URLs need no node-API credentials (the CRI caller is trusted).
        base = [harness.AIRLOCK, "--runtime-endpoint", "unix://" + self.d.socket]
        p = subprocess.run(base + ["--certificate-authority", self.pki.ca_cert, "exec", "-n",
                                   "default", "web", "--", "echo", "local-tls"],
                           capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, b"local-tls\n"), p.stderr)
        p = subprocess.run(base + ["exec", "-n", "default", "web", "--", "true"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("failed verification", p.stderr.decode())

    # -- a recorded terminal session -------------------------------------------------------
    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.tmux_socket, "-f", "/dev/null"] + list(args),
                           capture_output=True, timeout=30)
        if check and p.returncode != 0:
            self.fail("tmux %s: %s" % (" ".join(args), p.stderr.decode()))
        return p.stdout.decode()

    def test_tty_session_is_recorded_as_asciicast_v2(self):
        self.tmux_socket = "airlock-nodeapi-%d" % os.getpid()
        self.addCleanup(self.tmux, "kill-server", check=False)
        exit_file = os.path.join(self.tmp, "tty.exit")
        airlock = " ".join(shlex.quote(a) for a in [
            harness.AIRLOCK, "--server", self.server, "--certificate-authority", self.pki.ca_cert,
            "--token", ALICE_TOKEN, "exec", "-it", "web", "-c", "app", "--", "sh"])
        before = len(self.audit_lines())
        self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "sh", "-c",
                  "%s; echo $? > %s.tmp; mv %s.tmp %s; sleep 600" % (airlock, exit_file, exit_file,
                                                                  exit_file))
        screen = lambda: self.tmux("capture-pane", "-p", "-t", "t")
        wait_for(lambda: "#" in screen(), timeout=30, what="the remote shell's prompt")
        self.tmux("send-keys", "-t", "t", "echo rec-$((6*7)) $(stty size)", "Enter")
        wait_for(lambda: "rec-42" in screen(), timeout=20, what="the command's output")
        self.tmux("send-keys", "-t", "t", "exit 3", "Enter")
        wait_for(lambda: os.path.exists(exit_file), timeout=20, what="airlock to exit")
        with open(exit_file) as f:
            self.assertEqual(f.read().strip(), "3")
        wait_for(lambda: len(self.audit_lines()) > before, timeout=10, what="the audit line")
        line = self.audit_lines()[-1]
        self.assertAudit(line, decision="allow", tty=True, stdin=True, exit_code=3)
        cast = line.get("recording")
        self.assertTrue(cast and cast.startswith(self.recordings + "/"), json.dumps(line))
        self.assertFalse(line["recording_truncated"])
        with open(cast) as f:
            lines = f.read().splitlines()
        header = json.loads(lines[0])
        self.assertEqual(header["version"], 2)
        self.assertEqual((header["width"], header["height"]), (100, 30))
        self.assertIsInstance(header["timestamp"], int)
        output, last_time = "", 0.0
        for event in map(json.loads, lines[1:]):
            self.assertEqual(len(event), 3, event)
            self.assertGreaterEqual(event[0], last_time)  # times only go forward
            last_time = event[0]
            self.assertIn(event[1], ("o", "r"))  # input is never recorded
            if event[1] == "o":
                output += event[2]
        self.assertIn("rec-42 30 100", output)
        # asciinema itself replays it (it wants a terminal: script(1) gives it one).
        p = subprocess.run(["script", "-qec", "asciinema cat " + shlex.quote(cast), "/dev/null"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(b"rec-42 30 100", p.stdout)


if __name__ == "__main__":
    unittest.main()
