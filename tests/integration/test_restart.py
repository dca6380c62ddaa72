"""A restarted airlockd finds its pods and containers again: running ones keep running,
and ones that exited while it was down report their exit codes."""

import time
import unittest

import harness
from harness import Daemon, container_config, pod_config, wait_for


class RestartTest(unittest.TestCase):
    def setUp(self):
        harness.require_root(self)
        self.d = Daemon().start()
        self.addCleanup(self.d.cleanup)
        pb = self.pb = self.d.client.pb
        self.d.client.image.PullImage(pb.PullImageRequest(
            image=pb.ImageSpec(image="oci-archive:" + harness.test_image("oci-archive"))), timeout=120)

    def test_containers_survive_a_restart(self):
        pb, rt = self.pb, self.d.client.runtime
        pod_cfg = pod_config(pb, name="survivor", log_dir=self.d.workdir + "/logs")
        pod_id = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg), timeout=60).pod_sandbox_id

        def run(name, script):
            cid = rt.CreateContainer(pb.CreateContainerRequest(
                pod_sandbox_id=pod_id, sandbox_config=pod_cfg,
                config=container_config(pb, name=name, command=["sh", "-c", script])), timeout=60).container_id
            rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
            return cid

        long_running = run("sleeper", "echo up; exec sleep 1000")
        short = run("short", "sleep 2; echo bye; exit 7")
        before = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=long_running), timeout=10).status

        self.d.stop()
        time.sleep(3)  # `short` exits while no airlockd runs
        self.d.start()
        rt = self.d.client.runtime

        listed = {c.id: c for c in rt.ListContainers(pb.ListContainersRequest(), timeout=10).containers}
        self.assertEqual(listed[long_running].state, pb.CONTAINER_RUNNING)
        self.assertEqual(listed[short].state, pb.CONTAINER_EXITED)
        st = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=short), timeout=10).status
        self.assertEqual(st.exit_code, 7)
        after = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=long_running), timeout=10).status
        self.assertEqual(after.started_at, before.started_at)
        pods = rt.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=10).items
        self.assertEqual([(p.id, p.state) for p in pods], [(pod_id, pb.SANDBOX_READY)])

        # The restarted daemon still controls what it found.
        rt.StopContainer(pb.StopContainerRequest(container_id=long_running, timeout=5), timeout=60)
        st = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=long_running), timeout=10).status
        self.assertEqual(st.state, pb.CONTAINER_EXITED)
        self.assertEqual(st.exit_code, 143)
        with open(st.log_path) as f:
            self.assertIn("stdout F up", f.read())

    def test_two_daemons_side_by_side(self):
        other = Daemon().start()
        self.addCleanup(other.cleanup)
        pb = self.pb
        for d in (self.d, other):
            self.assertEqual(d.client.runtime.Version(pb.VersionRequest(), timeout=10).runtime_api_version, "v1")
        # A second daemon on the same root is refused.
        clash = Daemon(workdir=self.d.workdir)
        clash.socket = self.d.workdir + "/second.sock"
        with self.assertRaises(RuntimeError) as e:
            clash.start(timeout=5)
        self.assertIn("another airlockd", str(e.exception))


if __name__ == "__main__":
    unittest.main()
