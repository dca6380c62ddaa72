"""The airlock packages as an operator meets them: the .deb built through the CMake target
`packages`, installed with dpkg, airlockd started the way its systemd unit starts it (systemd
is not PID 1 here, so the unit's ExecStart runs directly with a NOTIFY_SOCKET this test
listens on), a container and an exec through the installed binaries, then `dpkg --purge` and
nothing of the package left behind. The .rpm is checked for the same files and for runc.

Runs alone (RUN_SERIAL): while the package is installed, /etc/airlock/airlock.toml exists and
every airlockd started without --config would read it."""

import configparser
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from cri_client import CriClient
from harness import Daemon

PACKAGE = "airlock"
HELPERS = "/usr/libexec/airlock"
UNIT_DIRS = ("/usr/lib/systemd/system", "/lib/systemd/system")


def run(argv, check=True, timeout=300, **kw):
    p = subprocess.run(argv, capture_output=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s\n%s" % (" ".join(argv), p.returncode,
                                                       p.stdout.decode(errors="replace"),
                                                       p.stderr.decode(errors="replace")))
    return p


def installed(package):
    p = run(["dpkg-query", "-W", "-f=${Status}", package], check=False)
    return p.returncode == 0 and b"install ok installed" in p.stdout


def deb_contents(deb):
    """Paths in the .deb: ({files and symlinks}, {directories})."""
    files, dirs = set(), set()
    for line in run(["dpkg-deb", "--contents", deb]).stdout.decode().splitlines():
        perms, path = line.split()[0], line.split()[5]
        path = os.path.normpath(path.lstrip("."))  # "./usr/bin/" -> "/usr/bin"
        if path == "/":
            continue
        (dirs if perms.startswith("d") else files).add(path)
    return files, dirs


def rpm_contents(rpm):
    files, dirs = set(), set()
    out = run(["rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]", rpm]).stdout.decode()
    for line in out.splitlines():
        perms, path = line.split(" ", 1)
        (dirs if perms.startswith("d") else files).add(path)
    return files, dirs


def processes_of(exe, mentioning):
    """PIDs running the binary `exe` with `mentioning` somewhere in their command line."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink("/proc/%s/exe" % pid) != exe:
                continue
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if mentioning.encode() in f.read():
                    pids.append(int(pid))
        except OSError:  # exited meanwhile, or not ours to look at
            pass
    return pids


class NotifyListener:
    """The service manager's end of sd_notify: a datagram socket, path or abstract."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)

    def receive(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return None
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()


def accepts_connections(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        for tool in ("dpkg", "dpkg-deb", "rpm", "rpmbuild"):
            if not shutil.which(tool):
                raise AssertionError("%s is missing: run scripts/install-deps.sh" % tool)
        out = os.path.join(harness.BUILD, "packages")
        run(["cmake", "--build", harness.BUILD, "--target", "packages"], timeout=1200)
        debs = [f for f in os.listdir(out) if f.startswith("airlock_") and f.endswith(".deb")]
        rpms = [f for f in os.listdir(out) if f.startswith("airlock-") and f.endswith(".rpm")]
        if len(debs) != 1 or len(rpms) != 1:
            raise AssertionError("want one .deb and one .rpm in %s, found %s" % (out, os.listdir(out)))
        cls.deb, cls.rpm = os.path.join(out, debs[0]), os.path.join(out, rpms[0])
        cls.deb_files, cls.deb_dirs = deb_contents(cls.deb)

    def unit_path(self):
        for d in UNIT_DIRS:
            if os.path.exists(os.path.join(d, "airlockd.service")):
                return os.path.join(d, "airlockd.service")
        self.fail("airlockd.service not installed in any of %s" % (UNIT_DIRS,))

    def test_deb_install_run_exec_purge(self):
        if installed(PACKAGE):
            self.fail("package %s is already installed on this machine; this test installs and "
                      "purges it, so remove it first (dpkg --purge %s)" % (PACKAGE, PACKAGE))
        existed_before = {p for p in self.deb_dirs | self.deb_files | {"/run/airlock", "/etc/airlock"}
                          if os.path.lexists(p)}
        self.addCleanup(lambda: installed(PACKAGE) and run(["dpkg", "--purge", PACKAGE], check=False))

        # Dependencies: runc named by us, the shared libraries found by dpkg-shlibdeps.
        depends = run(["dpkg-deb", "--field", self.deb, "Depends"]).stdout.decode()
        self.assertRegex(depends, r"(^|, )runc( \(|,|$)")
        self.assertIn("libgrpc++", depends)
        self.assertIn("libc6", depends)

        run(["dpkg", "-i", self.deb])
        self.assertTrue(installed(PACKAGE))

        # Files an operator expects, from the package's own list.
        listed = set(run(["dpkg-query", "-L", PACKAGE]).stdout.decode().split("\n"))
        for path in ("/usr/bin/airlockd", "/usr/bin/airlock", HELPERS + "/airlock-monitor",
                     HELPERS + "/airlock-pause"):
            self.assertIn(path, listed)
            self.assertTrue(os.access(path, os.X_OK), path)
        for path in ("/etc/airlock/airlock.toml", "/etc/airlock/seccomp-default.json",
                     "/usr/lib/tmpfiles.d/airlock.conf", "/usr/share/man/man8/airlockd.8.gz",
                     "/usr/share/man/man1/airlock.1.gz"):
            self.assertIn(path, listed)
            self.assertTrue(os.path.isfile(path), path)
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout.decode()
        self.assertIn("/etc/airlock/airlock.toml", conffiles)
        self.assertIn("/etc/airlock/seccomp-default.json", conffiles)
        self.assertTrue(os.path.isdir("/run/airlock"), "postinst should create /run/airlock")
        self.assertEqual(run(["/usr/bin/airlockd", "--help"]).returncode, 0)
        man = run(["man", "-l", "/usr/share/man/man8/airlockd.8.gz"], check=False,
                   env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        if man.returncode == 0:
            self.assertIn(b"CRI", man.stdout)

        # The unit: how systemd runs airlockd, and the default paths it runs it with.
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(self.unit_path())
        svc = unit["Service"]
        self.assertEqual(svc["Type"], "notify")
        self.assertEqual(svc["Restart"], "on-failure")
        self.assertEqual(svc["KillMode"], "process")
        self.assertGreaterEqual(int(svc["LimitNOFILE"]), 65536)
        exec_start = shlex.split(svc["ExecStart"])
        if shutil.which("systemd-analyze"):  # systemd's own check: keys, binaries, man pages
            verify = run(["systemd-analyze", "verify", self.unit_path()], check=False)
            self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, b""))
        self.assertEqual(exec_start[0], "/usr/bin/airlockd")
        with open("/etc/airlock/airlock.toml") as f:
            toml = f.read()
        self.assertIn('address = "/run/airlock/airlock.sock"', toml)
        self.assertIn('root = "/var/lib/airlock"', toml)
        self.assertIn('state = "/run/airlock"', toml)
        self.assertIn('monitor_path = "%s/airlock-monitor"' % HELPERS, toml)
        self.assertIn('pause_path = "%s/airlock-pause"' % HELPERS, toml)

        # Start ExecStart as systemd would, on private paths so no other airlockd is touched.
        work = tempfile.mkdtemp(prefix="airlock-pkg-")
        d = Daemon(workdir=work)
        self.addCleanup(shutil.rmtree, "/var/log/airlock/pods/pkgtest_pkgweb", True)
        self.addCleanup(d.cleanup)  # cleanups run last-in first-out: pods go before their logs
        notify = NotifyListener(os.path.join(work, "notify.sock"))
        self.addCleanup(notify.close)
        with open(d.log_path, "ab") as log:
            d.proc = subprocess.Popen(
                exec_start + ["--address", d.socket, "--root", d.root, "--state", d.state,
                              "--log-level", "debug"],
                stdout=log, stderr=log, env=dict(os.environ, NOTIFY_SOCKET=notify.address))
        message = notify.receive(timeout=30)
        self.assertEqual(message, "READY=1", "no READY=1 from airlockd; log:\n" + d.log())
        # READY=1 promises a listening socket: a client connecting right now gets through.
        self.assertTrue(accepts_connections(d.socket), "READY=1 came before the CRI socket listened")
        d.client = CriClient(d.socket)

        def airlock(*args, check=True):
            return run(["/usr/bin/airlock", "--runtime-endpoint", "unix://" + d.socket] + list(args),
                       check=check)

        image = harness.test_image("oci-archive")  # scripts/make-test-image.py --format oci-archive
        self.assertIn(b"sha256:", airlock("image", "import", image).stdout)
        airlock("run", "--name", "pkgweb", "-n", "pkgtest", "busybox", "--", "sleep", "1000")
        self.assertRegex(airlock("ps").stdout.decode(), r"pkgweb.*Running|Running.*pkgweb")
        self.assertEqual(airlock("exec", "-n", "pkgtest", "pkgweb", "--", "echo", "hi").stdout, b"hi\n")
        # The packaged config's helper paths are the ones in use.
        self.assertTrue(processes_of(HELPERS + "/airlock-monitor", mentioning=work),
                        "no %s/airlock-monitor watches the container" % HELPERS)
        # The service manager's socket is airlockd's alone: runc would otherwise hand it to the
        # container and wait in `runc start` for the container's own READY=1.
        env = airlock("exec", "-n", "pkgtest", "pkgweb", "--", "env").stdout.decode()
        self.assertNotIn("NOTIFY_SOCKET", env)
        airlock("stop", "-n", "pkgtest", "pkgweb")
        airlock("rm", "-n", "pkgtest", "pkgweb")
        self.assertNotIn("pkgweb", airlock("ps", "-a").stdout.decode())

        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(notify.receive(timeout=30), "STOPPING=1")
        self.assertEqual(d.proc.wait(timeout=30), 0, d.log())
        d.proc = None

        run(["dpkg", "--purge", PACKAGE])
        self.assertFalse(installed(PACKAGE))
        left = sorted(p for p in self.deb_files | self.deb_dirs | {"/run/airlock", "/etc/airlock"}
                      if os.path.lexists(p) and p not in existed_before)
        self.assertEqual(left, [], "left behind by dpkg --purge")
        for path in self.deb_files:
            self.assertFalse(os.path.lexists(path), path)

    def test_rpm_has_the_deb_files_and_requires_runc(self):
        rpm_files, rpm_dirs = rpm_contents(self.rpm)
        self.assertEqual(rpm_files, self.deb_files)
        # The package owns its own directories, not the system's.
        self.assertIn("/etc/airlock", rpm_dirs)
        self.assertNotIn("/usr/bin", rpm_dirs)
        self.assertNotIn("/usr/lib/systemd/system", rpm_dirs)
        listed = run(["rpm", "-qlp", self.rpm]).stdout.decode().split("\n")
        self.assertIn("/usr/bin/airlockd", listed)
        config = run(["rpm", "-qcp", self.rpm]).stdout.decode().split("\n")
        self.assertIn("/etc/airlock/airlock.toml", config)
        self.assertIn("/etc/airlock/seccomp-default.json", config)
        requires = run(["rpm", "-qRp", self.rpm]).stdout.decode().split("\n")
        self.assertTrue(any(r.split()[0] == "runc" for r in requires if r), requires)
        self.assertTrue(any(r.startswith("libgrpc++") for r in requires), requires)
        scripts = run(["rpm", "-qp", "--scripts", self.rpm]).stdout.decode()
        self.assertIn("systemd-tmpfiles --create airlock.conf", scripts)


class SdNotifyTest(unittest.TestCase):
    """READY=1 and STOPPING=1 to an abstract NOTIFY_SOCKET (the '@' form), from the build tree."""

    def test_abstract_socket(self):
        harness.require_root(self)
        work = tempfile.mkdtemp(prefix="airlock-notify-")
        d = Daemon(workdir=work)
        self.addCleanup(d.cleanup)
        config = os.path.join(work, "empty.toml")  # never the installed /etc/airlock file
        open(config, "w").close()
        notify = NotifyListener("@airlock-test-notify-%d-%d" % (os.getpid(), time.time_ns()))
        self.addCleanup(notify.close)
        with open(d.log_path, "ab") as log:
            d.proc = subprocess.Popen(
                [harness.AIRLOCKD, "--config", config, "--address", d.socket, "--root", d.root,
                 "--state", d.state], stdout=log, stderr=log,
                env=dict(os.environ, NOTIFY_SOCKET=notify.address))
        self.assertEqual(notify.receive(timeout=30), "READY=1", d.log())
        self.assertTrue(accepts_connections(d.socket))
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(notify.receive(timeout=30), "STOPPING=1", d.log())
        self.assertEqual(d.proc.wait(timeout=30), 0, d.log())
        d.proc = None


if __name__ == "__main__":
    unittest.main()
