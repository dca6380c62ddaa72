"""End-to-end CRI lifecycle against a real airlockd and a real runc, driven over gRPC
from Python (a client not written in C++, to prove wire compatibility)."""

import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import grpc

import harness
from harness import Daemon, container_config, pod_config, wait_for


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_root(cls)
        cls.d = Daemon(env={"AIRLOCK_TEST_SECRET": "must-not-leak"}).start()
        cls.pb = cls.d.client.pb
        cls.rt = cls.d.client.runtime
        cls.img = cls.d.client.image
        cls.logs = tempfile.mkdtemp(prefix="airlock-logs-")
        ref = cls.img.PullImage(cls.pb.PullImageRequest(
            image=cls.pb.ImageSpec(image="docker-archive:" + harness.test_image("docker-archive"))),
            timeout=120).image_ref
        cls.image_id = ref

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    # -- helpers ---------------------------------------------------------------------------
    def run_pod(self, name, **kw):
        cfg = pod_config(self.pb, name=name, log_dir=os.path.join(self.logs, name), **kw)
        pod_id = self.rt.RunPodSandbox(self.pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
        self.addCleanup(self.remove_pod, pod_id)
        return pod_id, cfg

    def remove_pod(self, pod_id):
        self.rt.RemovePodSandbox(self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)

    def create(self, pod_id, pod_cfg, **kw):
        cfg = container_config(self.pb, **kw)
        return self.rt.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=cfg, sandbox_config=pod_cfg), timeout=60).container_id

    def start(self, cid):
        self.rt.StartContainer(self.pb.StartContainerRequest(container_id=cid), timeout=60)

    def status(self, cid):
        return self.rt.ContainerStatus(self.pb.ContainerStatusRequest(container_id=cid), timeout=10).status

    def wait_state(self, cid, state, timeout=15):
        return wait_for(lambda: self.status(cid) if self.status(cid).state == state else None,
                        timeout=timeout, what="container %s in state %d" % (cid[:12], state))

    def read_log(self, path):
        try:
            with open(path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- tests -------------------------------------------------------------------------------
    def test_version_status_and_runtime_config(self):
        v = self.rt.Version(self.pb.VersionRequest(), timeout=10)
        self.assertEqual(v.runtime_api_version, "v1")
        self.assertEqual(v.runtime_name, "airlock")
        for field in ("version", "runtime_name", "runtime_version", "runtime_api_version"):
            self.assertTrue(getattr(v, field), field + " is empty")
        st = self.rt.Status(self.pb.StatusRequest(), timeout=10)
        conds = {c.type: c for c in st.status.conditions}
        self.assertTrue(conds["RuntimeReady"].status)
        self.assertFalse(conds["NetworkReady"].status)
        self.assertIn("CNI", conds["NetworkReady"].message)
        rc = self.rt.RuntimeConfig(self.pb.RuntimeConfigRequest(), timeout=10)
        self.assertEqual(rc.linux.cgroup_driver, self.pb.CGROUPFS)

    def test_pod_and_container_lifecycle(self):
        pod_id, pod_cfg = self.run_pod("life", hostname="life-host", labels={"app": "life"})
        pods = self.rt.ListPodSandbox(self.pb.ListPodSandboxRequest(
            filter=self.pb.PodSandboxFilter(label_selector={"app": "life"})), timeout=10).items
        self.assertEqual([p.id for p in pods], [pod_id])
        self.assertEqual(pods[0].state, self.pb.SANDBOX_READY)

        cid = self.create(pod_id, pod_cfg, name="app", command=["sh", "-c"],
                          args=["echo hello; echo oops >&2; hostname; exec sleep 1000"])
        self.assertEqual(self.status(cid).state, self.pb.CONTAINER_CREATED)
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_RUNNING)
        self.assertGreater(st.started_at, 0)
        self.assertEqual(st.image_ref, self.image_id)
        log = wait_for(lambda: (lambda t: t if "life-host" in t else None)(self.read_log(st.log_path)),
                       what="container output in the CRI log")
        line = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) "
        self.assertRegex(log, line + r"stdout F hello\n")
        self.assertRegex(log, line + r"stderr F oops\n")

        listed = self.rt.ListContainers(self.pb.ListContainersRequest(
            filter=self.pb.ContainerFilter(pod_sandbox_id=pod_id)), timeout=10).containers
        self.assertEqual([c.id for c in listed], [cid])
        running = self.rt.ListContainers(self.pb.ListContainersRequest(filter=self.pb.ContainerFilter(
            state=self.pb.ContainerStateValue(state=self.pb.CONTAINER_RUNNING))), timeout=10).containers
        self.assertIn(cid, [c.id for c in running])

        t0 = time.time()
        self.rt.StopContainer(self.pb.StopContainerRequest(container_id=cid, timeout=10), timeout=60)
        st = self.status(cid)
        self.assertEqual(st.state, self.pb.CONTAINER_EXITED)
        self.assertEqual(st.exit_code, 128 + signal.SIGTERM)  # sleep dies of SIGTERM
        self.assertGreater(st.finished_at, st.started_at)
        self.assertLess(time.time() - t0, 10)

        self.rt.RemoveContainer(self.pb.RemoveContainerRequest(container_id=cid), timeout=60)
        with self.assertRaises(grpc.RpcError) as e:
            self.status(cid)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn(cid, e.exception.details())

        self.rt.StopPodSandbox(self.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=60)
        ps = self.rt.PodSandboxStatus(self.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id), timeout=10)
        self.assertEqual(ps.status.state, self.pb.SANDBOX_NOTREADY)

    def test_exit_codes_are_reported(self):
        pod_id, pod_cfg = self.run_pod("exits")
        for code in (0, 3, 255):
            cid = self.create(pod_id, pod_cfg, name="exit%d" % code, command=["sh", "-c", "exit %d" % code])
            self.start(cid)
            st = self.wait_state(cid, self.pb.CONTAINER_EXITED)
            self.assertEqual(st.exit_code, code)
            self.assertEqual(st.reason, "Completed" if code == 0 else "Error")

    def test_stop_timeout_then_sigkill(self):
        pod_id, pod_cfg = self.run_pod("stubborn")
        cid = self.create(pod_id, pod_cfg, name="stubborn",
                          command=["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"])
        self.start(cid)
        self.wait_state(cid, self.pb.CONTAINER_RUNNING)
        wait_for(lambda: "ready" in self.read_log(self.status(cid).log_path), what="trap installed")
        t0 = time.time()
        self.rt.StopContainer(self.pb.StopContainerRequest(container_id=cid, timeout=2), timeout=60)
        elapsed = time.time() - t0
        st = self.status(cid)
        self.assertEqual(st.state, self.pb.CONTAINER_EXITED)
        self.assertEqual(st.exit_code, 128 + signal.SIGKILL)
        self.assertGreaterEqual(elapsed, 1.9)  # it waited for the grace period first

    def test_long_lines_are_split_into_partial_entries(self):
        pod_id, pod_cfg = self.run_pod("longline")
        cid = self.create(pod_id, pod_cfg, name="long",
                          command=["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo"])
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_EXITED)
        entries = [l.split(" ", 3) for l in self.read_log(st.log_path).splitlines()]
        tags = [e[2] for e in entries]
        self.assertGreaterEqual(tags.count("P"), 2)
        self.assertEqual(tags[-1], "F")
        self.assertEqual("".join(e[3] for e in entries), "x" * 40000)

    def test_reopen_container_log(self):
        pod_id, pod_cfg = self.run_pod("rotate")
        cid = self.create(pod_id, pod_cfg, name="ticker",
                          command=["sh", "-c", "i=0; while :; do echo tick$i; i=$((i+1)); sleep 0.1; done"])
        self.start(cid)
        path = self.wait_state(cid, self.pb.CONTAINER_RUNNING).log_path
        wait_for(lambda: "tick1" in self.read_log(path), what="first ticks")
        os.rename(path, path + ".1")
        self.rt.ReopenContainerLog(self.pb.ReopenContainerLogRequest(container_id=cid), timeout=10)
        wait_for(lambda: "tick" in self.read_log(path), what="ticks in the reopened log")
        self.assertIn("tick0", self.read_log(path + ".1"))

    def test_pod_hostname_and_host_network(self):
        pod_id, pod_cfg = self.run_pod("netns", hostname="inside")
        cid = self.create(pod_id, pod_cfg, name="ns",
                          command=["sh", "-c", "hostname; cat /proc/net/dev | grep -c :"])
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_EXITED)
        out = [l.split(" ", 3)[3] for l in self.read_log(st.log_path).splitlines()]
        self.assertEqual(out[0], "inside")
        self.assertEqual(out[1], "1")  # only loopback in the pod's network namespace

        hpod, hcfg = self.run_pod("hostnet", host_network=True)
        cid = self.create(hpod, hcfg, name="hn", command=["sh", "-c", "readlink /proc/1/ns/net; hostname"])
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_EXITED)
        out = [l.split(" ", 3)[3] for l in self.read_log(st.log_path).splitlines()]
        self.assertEqual(out[1], os.uname().nodename)

    def test_security_context_reaches_the_process(self):
        pod_id, pod_cfg = self.run_pod("secctx")
        cfg = container_config(self.pb, name="sec", command=["sh", "-c",
                               "id -u; id -g; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; "
                               "touch /x 2>&1 || echo readonly"])
        sc = cfg.linux.security_context
        sc.run_as_user.value = 1234
        sc.run_as_group.value = 5678
        sc.readonly_rootfs = True
        sc.no_new_privs = True
        sc.capabilities.drop_capabilities.append("ALL")
        sc.seccomp.profile_type = self.pb.SecurityProfile.RuntimeDefault
        sc.seccomp.SetInParent()  # RuntimeDefault is 0: only presence says it was asked for
        cid = self.rt.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=cfg, sandbox_config=pod_cfg), timeout=60).container_id
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_EXITED)
        out = "\n".join(l.split(" ", 3)[3] for l in self.read_log(st.log_path).splitlines())
        self.assertIn("1234\n5678\n", out)
        self.assertRegex(out, r"CapEff:\s+0000000000000000")
        self.assertRegex(out, r"NoNewPrivs:\s+1")
        self.assertRegex(out, r"Seccomp:\s+2")
        self.assertIn("readonly", out)

    def test_image_service(self):
        pb, img = self.pb, self.img
        images = img.ListImages(pb.ListImagesRequest(), timeout=10).images
        mine = [i for i in images if i.id == self.image_id]
        self.assertEqual(len(mine), 1)
        self.assertIn("docker.io/library/busybox:latest", mine[0].repo_tags)
        self.assertGreater(mine[0].size, 0)
        for ref in ("busybox", "busybox:latest", "docker.io/library/busybox:latest", self.image_id):
            st = img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=ref)), timeout=10)
            self.assertEqual(st.image.id, self.image_id, ref)
        st = img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image="nosuch:1")), timeout=10)
        self.assertFalse(st.HasField("image"))  # CRI: absent image = empty response
        # A reference already in the store "pulls" without a registry; others say why not.
        ref = img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image="busybox")), timeout=30).image_ref
        self.assertEqual(ref, self.image_id)
        self.assertCode(grpc.StatusCode.UNIMPLEMENTED,
                        lambda: img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image="quay.io/x/y:1")), timeout=30),
                        "quay.io/x/y:1")
        fs = img.ImageFsInfo(pb.ImageFsInfoRequest(), timeout=30).image_filesystems
        self.assertEqual(len(fs), 1)
        self.assertTrue(fs[0].fs_id.mountpoint.startswith("/"))
        self.assertGreater(fs[0].used_bytes.value, 0)
        self.assertGreater(fs[0].inodes_used.value, 0)
        # An image a container uses cannot be removed; removing an absent one succeeds.
        pod_id, pod_cfg = self.run_pod("imguse")
        self.create(pod_id, pod_cfg, name="user", command=["true"])
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        lambda: img.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image="busybox")), timeout=30),
                        "in use")
        img.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image="nosuch:1")), timeout=30)

    def test_unsupported_calls_say_so(self):
        pb = self.pb
        details = self.assertCode(grpc.StatusCode.UNIMPLEMENTED,
                                  lambda: self.rt.CheckpointContainer(pb.CheckpointContainerRequest(), timeout=10))
        self.assertIn("not implemented", details)
        details = self.assertCode(grpc.StatusCode.UNIMPLEMENTED,
                                  lambda: self.rt.ListContainerStats(pb.ListContainerStatsRequest(), timeout=10))
        self.assertIn("ListContainerStats", details)

    def test_resources_reach_the_cgroup(self):
        pod_id, pod_cfg = self.run_pod("limits")
        # One line, so that reading the log never sees half of the answer.
        cfg = container_config(self.pb, name="lim", command=["sh", "-c",
                               "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max "
                               "2>/dev/null) shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null) end; "
                               "exec sleep 1000"])
        cfg.linux.resources.memory_limit_in_bytes = 64 * 1024 * 1024
        cfg.linux.resources.cpu_shares = 512
        cid = self.rt.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=cfg, sandbox_config=pod_cfg), timeout=60).container_id
        self.start(cid)
        st = self.wait_state(cid, self.pb.CONTAINER_RUNNING)
        line = wait_for(lambda: next((l.split(" ", 3)[3] for l in self.read_log(st.log_path).splitlines()
                                      if l.endswith(" end")), None), what="cgroup values in the log")
        self.assertIn("mem=%d " % (64 * 1024 * 1024), line)
        if os.path.isdir("/sys/fs/cgroup/cpu"):  # cgroup v1 hierarchy present
            self.assertIn("shares=512 ", line)
        self.assertEqual(st.resources.linux.memory_limit_in_bytes, 64 * 1024 * 1024)

    # -- bad input ---------------------------------------------------------------------------
    def assertCode(self, code, fn, *needles):
        with self.assertRaises(grpc.RpcError) as e:
            fn()
        self.assertEqual(e.exception.code(), code, e.exception.details())
        for n in needles:
            self.assertIn(n, e.exception.details())
        return e.exception.details()

    def test_bad_input_is_refused_and_nothing_is_left_behind(self):
        pb = self.pb
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pb.PodSandboxConfig()), timeout=10),
                        "metadata.name")
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.rt.ContainerStatus(pb.ContainerStatusRequest(container_id="deadbeef"), timeout=10),
                        "deadbeef")
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id="feedface"), timeout=10),
                        "feedface")
        pod_id, pod_cfg = self.run_pod("bad")
        self.assertCode(grpc.StatusCode.ALREADY_EXISTS,
                        lambda: self.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg), timeout=10),
                        "reserved")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.create(pod_id, pod_cfg, name="noimage", image=""), "image")
        self.assertCode(grpc.StatusCode.NOT_FOUND,
                        lambda: self.create(pod_id, pod_cfg, name="missing", image="nosuch:tag"), "nosuch")
        bad_mount = container_config(pb, name="mnt", command=["true"])
        bad_mount.mounts.add(container_path="relative/path", host_path="/tmp")
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.rt.CreateContainer(pb.CreateContainerRequest(
                            pod_sandbox_id=pod_id, config=bad_mount, sandbox_config=pod_cfg), timeout=30),
                        "relative/path")
        before = set(os.listdir(os.path.join(self.d.state, "containers"))) \
            if os.path.isdir(os.path.join(self.d.state, "containers")) else set()
        # The OCI runtime itself fails: the executable does not exist in the image.
        details = self.assertCode(grpc.StatusCode.INTERNAL,
                                  lambda: self.create(pod_id, pod_cfg, name="nosuchexe", command=["/no/such/exe"]),
                                  "/no/such/exe")
        self.assertTrue(details)
        after = set(os.listdir(os.path.join(self.d.state, "containers"))) \
            if os.path.isdir(os.path.join(self.d.state, "containers")) else set()
        self.assertEqual(before, after, "a failed CreateContainer left a bundle behind")
        runc_list = subprocess.run([harness.RUNC, "--root", os.path.join(self.d.state, "runtime"), "list", "-q"],
                                   capture_output=True, text=True).stdout.split()
        self.assertEqual(set(runc_list), {pod_id}, "only the pod's infra container may be known to runc")
        with open("/proc/self/mounts") as f:
            self.assertNotIn(os.path.join(self.d.state, "containers"), f.read())
        # The daemon is still up and serving.
        self.rt.Version(pb.VersionRequest(), timeout=10)

    def test_hostile_image_archive_is_rejected(self):
        work = tempfile.mkdtemp(prefix="airlock-hostile-")
        target = os.path.join(work, "escaped")
        evil = os.path.join(work, "evil.tar")
        subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "make_hostile_archive.py"),
                        evil, target], check=True)
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        lambda: self.img.PullImage(self.pb.PullImageRequest(
                            image=self.pb.ImageSpec(image="docker-archive:" + evil)), timeout=60))
        self.assertFalse(os.path.exists(target), "the archive wrote outside the store")
        self.assertFalse(os.path.exists("/tmp/airlock-escape-marker"))
        self.rt.Version(self.pb.VersionRequest(), timeout=10)


if __name__ == "__main__":
    unittest.main()
