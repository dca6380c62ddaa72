"""The airlock command line end to end against a real airlockd: what a person types on a
fresh machine, from image import to exec, and `airlock ps` after a daemon restart."""

import json
import os
import shutil
import subprocess
import time
import unittest

import harness
from harness import Daemon, wait_for


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree("/var/log/airlock/pods/clitest_web", ignore_errors=True)

    def airlock(self, *args, check=True, input=None):
        p = subprocess.run([harness.AIRLOCK, "--runtime-endpoint", "unix://" + self.d.socket] + list(args),
                           capture_output=True, input=input, timeout=300)
        if check and p.returncode != 0:
            self.fail("airlock %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
        return p

    def test_import_run_exec_logs_stop_rm(self):
        out = self.airlock("image", "import", harness.test_image("oci-archive")).stdout.decode()
        self.assertIn("sha256:", out)
        images = self.airlock("images").stdout.decode()
        self.assertIn("docker.io/library/busybox", images)

        self.airlock("run", "--name", "web", "-n", "clitest", "busybox", "--",
                     "sh", "-c", "echo hello from web; echo problem >&2; exec sleep 1000")
        ps = self.airlock("ps").stdout.decode()
        self.assertRegex(ps, r"web.*Running|Running.*web")
        pods = json.loads(self.airlock("pods", "-o", "json").stdout)
        self.assertIn("web", json.dumps(pods))

        # exec: output, separate streams, the exit status passed through.
        p = self.airlock("exec", "-n", "clitest", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 42",
                         check=False)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (42, b"out\n", b"err\n"))
        p = self.airlock("exec", "web", "--", "date", "+%Y")
        self.assertEqual(p.stdout.decode().strip(), time.strftime("%Y", time.gmtime()))
        p = self.airlock("exec", "web", "--", "no-such-command", check=False)
        self.assertEqual(p.returncode, 127)
        p = self.airlock("exec", "nosuchpod", "--", "true", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuchpod", p.stderr.decode())

        wait_for(lambda: b"hello from web" in self.airlock("logs", "web").stdout, what="log output")
        logs = self.airlock("logs", "web")
        self.assertEqual(logs.stdout, b"hello from web\n")
        self.assertEqual(logs.stderr, b"problem\n")

        # A restarted daemon still shows the container running.
        self.d.stop()
        self.d.start()
        ps = self.airlock("ps").stdout.decode()
        self.assertRegex(ps, r"web.*Running|Running.*web")
        self.assertEqual(self.airlock("exec", "web", "--", "echo", "still here").stdout, b"still here\n")

        self.airlock("stop", "web")
        self.airlock("rm", "web")
        self.assertNotIn("web", self.airlock("ps", "-a").stdout.decode())
        self.assertNotIn("web", self.airlock("pods").stdout.decode())


if __name__ == "__main__":
    unittest.main()
