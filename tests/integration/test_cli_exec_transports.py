"""`airlock exec --transport spdy|websocket` against a real airlockd and a real busybox
container: the same stdout, stderr and exit code as the default HTTP/2 transport, stdin with
its EOF (SPDY: DATA+FIN; WebSocket v5: the close signal), 4 MiB of output byte for byte, and
-it in a real terminal (a tmux pane): the shell sees the pane's size and its changes, and the
exit code comes back."""

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import Daemon, wait_for

POD = "xtransports"
NS = "clitransports"
TRANSPORTS = ("spdy", "websocket")


class CliExecTransportsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        cls.d = Daemon().start()
        cls.tmp = tempfile.mkdtemp(prefix="airlock-clitransports-")
        cls.run_airlock("image", "import", harness.test_image("oci-archive"))
        cls.run_airlock("run", "--name", POD, "-n", NS, "busybox", "--", "sleep", "100000")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        shutil.rmtree("/var/log/airlock/pods/%s_%s" % (NS, POD), ignore_errors=True)

    @classmethod
    def base_cmd(cls):
        return [harness.AIRLOCK, "--runtime-endpoint", "unix://" + cls.d.socket]

    @classmethod
    def run_airlock(cls, *args, input=None, timeout=120):
        p = subprocess.run(cls.base_cmd() + list(args), capture_output=True, input=input,
                           timeout=timeout)
        if p.returncode != 0 and args[0] != "exec":
            raise AssertionError("airlock %s exited %d: %s" % (" ".join(args), p.returncode,
                                                               p.stderr.decode()))
        return p

    def exec(self, transport, *cmd, flags=(), input=None):
        return self.run_airlock("exec", "-n", NS, POD, "--transport", transport, *flags, "--",
                                *cmd, input=input)

    def test_same_stdout_stderr_and_exit_code_as_h2(self):
        cmd = ("sh", "-c", "echo out; echo err >&2; exit 3")
        h2 = self.exec("h2", *cmd)
        self.assertEqual((h2.returncode, h2.stdout, h2.stderr), (3, b"out\n", b"err\n"))
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                p = self.exec(t, *cmd)
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (h2.returncode, h2.stdout, h2.stderr))

    def test_exit_codes(self):
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                self.assertEqual(self.exec(t, "true").returncode, 0)
                p = self.exec(t, "no-such-command")
                self.assertEqual(p.returncode, 127, p.stderr)
                self.assertEqual(self.exec(t, "sh", "-c", "kill -9 $$").returncode, 128 + 9)

    def test_stdin_and_its_eof(self):
        data = os.urandom(3 << 20)
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                # `cat` ends only when the remote side sees our EOF.
                p = self.exec(t, "sh", "-c", "cat; echo done", flags=("-i",),
                              input=b"hello\nworld\n")
                self.assertEqual((p.returncode, p.stdout), (0, b"hello\nworld\ndone\n"),
                                 p.stderr)
                p = self.exec(t, "md5sum", flags=("-i",), input=data)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout.split()[0].decode(), hashlib.md5(data).hexdigest())

    def test_4mib_output_is_identical(self):
        cmd = ("sh", "-c", "i=0; while [ $i -lt 92000 ]; do "
               "echo line-$i-abcdefghijklmnopqrstuvwxyzABCDEFGH; i=$((i+1)); done")
        h2 = self.exec("h2", *cmd)
        self.assertEqual(h2.returncode, 0, h2.stderr)
        self.assertGreaterEqual(len(h2.stdout), 4 << 20)
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                p = self.exec(t, *cmd)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(len(p.stdout), len(h2.stdout))
                self.assertTrue(p.stdout == h2.stdout)

    # ------------------------------------------------------------------ -it in tmux

    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.tmux_socket, "-f", "/dev/null"] + list(args),
                           capture_output=True, timeout=30)
        if check and p.returncode != 0:
            self.fail("tmux %s: %s" % (" ".join(args), p.stderr.decode()))
        return p.stdout.decode()

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def pane_size(self):
        w, h = self.tmux("display", "-p", "-t", "t", "#{pane_width} #{pane_height}").split()
        return int(h), int(w)

    def stty_size_on_screen(self, marker):
        self.tmux("send-keys", "-t", "t", "echo %s $(stty size)" % marker, "Enter")

        def found():
            for line in self.screen().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == marker:
                    return int(parts[1]), int(parts[2])
            return None
        return wait_for(found, timeout=20, what="%s in the pane" % marker)

    def test_tty_size_resize_and_exit(self):
        if shutil.which("tmux") is None:
            self.skipTest("needs tmux")
        for t in TRANSPORTS:
            with self.subTest(transport=t):
                self.tmux_socket = "airlock-clitransports-%d-%s" % (os.getpid(), t)
                exit_file = os.path.join(self.tmp, t + ".exit")
                airlock = " ".join(shlex.quote(a) for a in self.base_cmd())
                script = ("{a} exec -it -n {ns} {pod} --transport {t} -- sh; echo $? > {e}.tmp; "
                          "mv {e}.tmp {e}; sleep 600").format(a=airlock, ns=NS, pod=POD, t=t,
                                                             e=exit_file)
                try:
                    self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
                              "sh", "-c", script)
                    self.tmux("set-option", "-g", "window-size", "manual")
                    self.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
                    wait_for(lambda: "#" in self.screen(), timeout=30,
                             what="the remote shell's prompt")
                    self.assertEqual(self.stty_size_on_screen("S1"), self.pane_size())
                    self.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40")
                    wait_for(lambda: self.pane_size()[1] == 120, what="tmux resize")
                    self.assertEqual(self.stty_size_on_screen("S2"), (40, 120))
                    self.tmux("send-keys", "-t", "t", "exit 5", "Enter")
                    wait_for(lambda: os.path.exists(exit_file), timeout=30,
                             what="airlock exec to exit")
                    with open(exit_file) as f:
                        self.assertEqual(f.read().strip(), "5", self.screen())
                finally:
                    self.tmux("kill-server", check=False)


if __name__ == "__main__":
    unittest.main()
