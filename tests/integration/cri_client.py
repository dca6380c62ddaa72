"""A small CRI runtime.v1 client for airlock's Python tests.

Runs under Debian's /usr/bin/python3 with python3-grpcio and python3-protobuf only: there is no
grpc_tools there, so the message classes come from `protoc --python_out` run on the repo's own
proto/api.proto at first use, and the stubs are built from the service descriptors instead of
generated code.

    from cri_client import CriClient
    with CriClient("/run/airlock/airlock.sock") as client:
        pb = client.pb
        reply = client.runtime.ExecSync(
            pb.ExecSyncRequest(container_id=cid, cmd=["echo", "hi"], timeout=5), timeout=10)
        images = client.image.ListImages(pb.ListImagesRequest(), timeout=5)

Every unary RPC of RuntimeService and ImageService is an attribute of `client.runtime` /
`client.image`; server-streaming ones (StreamContainers, GetContainerEvents, ...) return an
iterator of replies. Errors are grpc.RpcError, as with generated stubs.

`python3 cri_client.py --self-check` serves Version in-process and calls it through CriClient.
"""

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

# The kubelet's CRI client refuses replies above 16 MiB (cri-client maxMsgSize); tests see the
# same limit by default so that an oversized ExecSync reply fails here as it would in production.
KUBELET_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

_REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_api_module = None  # generated api_pb2, once per process: a second import would clash in the pool


def load_api(repo_root=None):
    """Generates proto/api.proto into a per-process temp dir and returns the api_pb2 module."""
    global _api_module
    if _api_module is not None:
        return _api_module
    root = os.path.abspath(repo_root or os.environ.get("AIRLOCK_REPO", _REPO_ROOT))
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    out_dir = tempfile.mkdtemp(prefix="airlock-cri-py-")
    atexit.register(shutil.rmtree, out_dir, True)
    result = subprocess.run(
        [protoc, f"--python_out={out_dir}", "-I", root, "proto/api.proto"],
        cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"protoc proto/api.proto: {result.stderr.strip()}")
    # Loaded by path under a private name: "proto" is too generic a package name to import by.
    path = os.path.join(out_dir, "proto", "api_pb2.py")
    spec = importlib.util.spec_from_file_location("airlock_cri_api_pb2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _api_module = module
    return module


class _ServiceStub:
    """One callable attribute per RPC of a service, each bound to the full gRPC method path."""

    def __init__(self, channel, pb, service_name):
        service = pb.DESCRIPTOR.services_by_name[service_name]
        self.service_name = service.full_name
        self.methods = []
        for method in service.methods:
            if method.client_streaming:
                continue  # runtime.v1 has none
            path = f"/{service.full_name}/{method.name}"
            request_class = getattr(pb, method.input_type.name)
            response_class = getattr(pb, method.output_type.name)
            factory = channel.unary_stream if method.server_streaming else channel.unary_unary
            call = factory(path, request_serializer=request_class.SerializeToString,
                           response_deserializer=response_class.FromString)
            setattr(self, method.name, call)
            self.methods.append(method.name)


class CriClient:
    """runtime.v1 client on a unix socket: client.runtime.<Rpc>, client.image.<Rpc>, client.pb."""

    def __init__(self, socket_path, max_message_bytes=KUBELET_MAX_MESSAGE_BYTES):
        self.pb = load_api()
        target = socket_path if socket_path.startswith("unix:") else f"unix://{socket_path}"
        self.channel = grpc.insecure_channel(target, options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ])
        self.runtime = _ServiceStub(self.channel, self.pb, "RuntimeService")
        self.image = _ServiceStub(self.channel, self.pb, "ImageService")

    def wait_ready(self, timeout):
        """Blocks until the socket accepts a connection; raises grpc.FutureTimeoutError."""
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _self_check():
    """Serves Version from a generic handler on a temp socket and calls it through CriClient."""
    from concurrent import futures

    pb = load_api()

    def version(request, context):
        return pb.VersionResponse(version=request.version, runtime_name="self-check",
                                  runtime_version="0.0.1", runtime_api_version="v1")

    handler = grpc.method_handlers_generic_handler("runtime.v1.RuntimeService", {
        "Version": grpc.unary_unary_rpc_method_handler(
            version, request_deserializer=pb.VersionRequest.FromString,
            response_serializer=pb.VersionResponse.SerializeToString),
    })
    sock_dir = tempfile.mkdtemp(prefix="airlock-cri-selfcheck-")
    sock = os.path.join(sock_dir, "cri.sock")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"unix:{sock}")
    server.start()
    try:
        with CriClient(sock) as client:
            client.wait_ready(timeout=5)
            reply = client.runtime.Version(pb.VersionRequest(version="v1"), timeout=5)
            print(f"Version -> {reply.runtime_name} {reply.runtime_version} "
                  f"api={reply.runtime_api_version} echoed={reply.version}")
            try:
                client.runtime.ExecSync(pb.ExecSyncRequest(container_id="x"), timeout=5)
            except grpc.RpcError as err:
                print(f"ExecSync (not served) -> {err.code().name}")
            print(f"runtime RPCs: {len(client.runtime.methods)}, "
                  f"image RPCs: {len(client.image.methods)}")
            ok = (reply.runtime_name == "self-check" and reply.version == "v1")
    finally:
        server.stop(None)
        shutil.rmtree(sock_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(_self_check())
    print(__doc__)
