"""`airlock exec` over the streaming server against a real airlockd and a real busybox
container: what a user sees from `airlock exec POD -- CMD` (HTTP/2 by default), with -i, and
with -it in a real terminal (a tmux pane of known size): raw mode, window size and its
changes, the exit code, and the terminal settings put back afterwards."""

import os
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Daemon, wait_for

POD = "xshell"
NS = "cliexec"


class CliExecTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        cls.d = Daemon().start()
        cls.tmp = tempfile.mkdtemp(prefix="airlock-cliexec-")
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

    def exec(self, *cmd, flags=(), input=None):
        return self.run_airlock("exec", "-n", NS, POD, *flags, "--", *cmd, input=input)

    # ------------------------------------------------------------------ plain exec

    def test_date(self):
        p = self.exec("date", "+%Y")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().strip(), time.strftime("%Y", time.gmtime()))

    def test_stdout_and_stderr_stay_apart(self):
        p = self.exec("sh", "-c", "echo out; echo err >&2; echo out2")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"out\nout2\n", b"err\n"))

    def test_exit_codes(self):
        self.assertEqual(self.exec("true").returncode, 0)
        self.assertEqual(self.exec("sh", "-c", "exit 3").returncode, 3)
        p = self.exec("no-such-command")
        self.assertEqual(p.returncode, 127, p.stderr)
        self.assertEqual(self.exec("/etc/passwd").returncode, 126)
        self.assertEqual(self.exec("sh", "-c", "kill -9 $$").returncode, 128 + 9)

    def test_output_bytes_are_exact(self):
        # 4 MiB: many HTTP/2 windows; compare with what the same command gives through ExecSync.
        cmd = ("sh", "-c", "i=0; while [ $i -lt 65536 ]; do echo line-$i-abcdefghijklmnopqrstuvwxyzABCDEFGH; i=$((i+1)); done")
        p = self.exec(*cmd)
        self.assertEqual(p.returncode, 0, p.stderr)
        sync = self.exec(*cmd, flags=("--sync",))
        self.assertEqual(len(p.stdout), len(sync.stdout))
        self.assertTrue(p.stdout == sync.stdout)

    def test_stdin_is_forwarded_and_eof_ends_it(self):
        p = self.exec("sh", "-c", "cat; echo done", flags=("-i",), input=b"hello\nworld\n")
        self.assertEqual((p.returncode, p.stdout), (0, b"hello\nworld\ndone\n"), p.stderr)
        data = os.urandom(3 << 20)
        p = self.exec("md5sum", flags=("-i",), input=data)
        import hashlib
        self.assertEqual(p.stdout.split()[0].decode(), hashlib.md5(data).hexdigest(), p.stderr)
        # Without -i the command gets no stdin at all: EOF at once.
        p = self.exec("sh", "-c", "cat; echo after", input=b"ignored\n")
        self.assertEqual(p.stdout, b"after\n")

    def test_errors_are_clear(self):
        p = self.run_airlock("exec", "nosuchpod", "--", "true")
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuchpod", p.stderr.decode())
        p = self.run_airlock("exec", "-n", NS, POD, "--transport", "carrier-pigeon", "--", "true")
        self.assertEqual(p.returncode, 1)
        self.assertIn("carrier-pigeon", p.stderr.decode())
        # -t with a stdin that is not a terminal: kubectl's warning, then a plain exec.
        p = self.exec("sh", "-c", "test -t 0 && echo tty || echo notty", flags=("-it",), input=b"")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Unable to use a TTY", p.stderr)
        self.assertEqual(p.stdout, b"notty\n")

    # ------------------------------------------------------------------ -it in tmux

    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.tmux_socket, "-f", "/dev/null"] + list(args),
                           capture_output=True, timeout=30)
        if check and p.returncode != 0:
            self.fail("tmux %s: %s" % (" ".join(args), p.stderr.decode()))
        return p.stdout.decode()

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def start_pane(self, name):
        """A tmux pane that records `stty -g`, runs `airlock exec -it`, then records the exit code
        and `stty -g` again. Returns the paths of (before, after, exit)."""
        self.tmux_socket = "airlock-cliexec-%d-%s" % (os.getpid(), name)
        self.addCleanup(self.tmux, "kill-server", check=False)
        files = [os.path.join(self.tmp, name + "." + s) for s in ("before", "after", "exit")]
        for f in files:
            if os.path.exists(f):
                os.unlink(f)
        airlock = " ".join(shlex.quote(a) for a in self.base_cmd())
        script = ("stty -g > {b}; {a} exec -it -n {ns} {pod} -- sh; echo $? > {e}.tmp; "
                  "stty -g > {af}; mv {e}.tmp {e}; sleep 600").format(
                      b=files[0], a=airlock, ns=NS, pod=POD, e=files[2], af=files[1])
        self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "sh", "-c", script)
        self.tmux("set-option", "-g", "window-size", "manual")
        self.tmux("resize-window", "-t", "t", "-x", "100", "-y", "30")
        return files

    def pane_size(self):
        w, h = self.tmux("display", "-p", "-t", "t", "#{pane_width} #{pane_height}").split()
        return int(h), int(w)

    def stty_size_on_screen(self, marker):
        """Types `stty size` with a marker and returns the (rows, cols) the shell printed."""
        self.tmux("send-keys", "-t", "t", "echo %s $(stty size)" % marker, "Enter")

        def found():
            for line in self.screen().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == marker:
                    return int(parts[1]), int(parts[2])
            return None
        return wait_for(found, timeout=20, what="%s in the pane" % marker)

    def test_tty_size_resize_exit_and_restore(self):
        before, after, exit_file = self.start_pane("resize")
        wait_for(lambda: "#" in self.screen(), timeout=30, what="the remote shell's prompt")
        self.assertEqual(self.stty_size_on_screen("S1"), self.pane_size())
        # Raw mode locally: the terminal's own echo and line discipline are off while in session.
        self.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40")
        wait_for(lambda: self.pane_size()[1] == 120, what="tmux resize")
        self.assertEqual(self.stty_size_on_screen("S2"), self.pane_size())
        self.assertEqual(self.pane_size()[1], 120)
        self.tmux("send-keys", "-t", "t", "exit 5", "Enter")
        wait_for(lambda: os.path.exists(exit_file), timeout=30, what="airlock exec to exit")
        with open(exit_file) as f:
            self.assertEqual(f.read().strip(), "5")
        with open(before) as b, open(after) as a:
            self.assertEqual(a.read(), b.read())

    def test_tty_restored_when_the_server_goes_away(self):
        before, after, exit_file = self.start_pane("kill")
        wait_for(lambda: "#" in self.screen(), timeout=30, what="the remote shell's prompt")
        # The daemon (and its streaming server) dies under the session.
        self.d.stop()
        try:
            wait_for(lambda: os.path.exists(exit_file), timeout=30, what="airlock exec to exit")
            with open(exit_file) as f:
                self.assertEqual(f.read().strip(), "1")
            with open(before) as b, open(after) as a:
                self.assertEqual(a.read(), b.read())
            self.assertIn("airlock: exec:", self.screen())
        finally:
            self.d.start()


if __name__ == "__main__":
    unittest.main()
