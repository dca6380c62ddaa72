#!/usr/bin/python3
"""Builds a one-layer busybox image archive from the host's static busybox.

The image holds /bin/busybox, a symlink in /bin for every applet it lists (sh included),
/etc/passwd and /etc/group (root, nobody 65534), /tmp (1777), /root and /home. Every mtime,
owner and the gzip header are fixed, so the same busybox binary always gives the same digests.

  /usr/bin/python3 scripts/make-test-image.py --format oci-archive \
      --tag docker.io/library/busybox:latest --out busybox-oci.tar

oci-archive is an OCI image layout in a tar (what `skopeo copy ... oci-archive:` writes);
docker-archive is the `docker save` layout (manifest.json, legacy layer directories).
Standard library only: run it with Debian's /usr/bin/python3.
"""

import argparse
import gzip
import hashlib
import io
import json
import platform
import subprocess
import sys
import tarfile

MTIME = 946684800  # 2000-01-01T00:00:00Z
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def tar_info(name, kind, mode, size=0, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.linkname = linkname
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class TarWriter:
    """An uncompressed tar in memory with fixed metadata."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def dir(self, name, mode=0o755):
        self.tar.addfile(tar_info(name + "/", tarfile.DIRTYPE, mode))

    def file(self, name, data, mode=0o644):
        self.tar.addfile(tar_info(name, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))

    def symlink(self, name, target):
        self.tar.addfile(tar_info(name, tarfile.SYMTYPE, 0o777, linkname=target))

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def applets(busybox):
    out = subprocess.run([busybox, "--list"], check=True, capture_output=True, text=True).stdout
    return sorted(a for a in out.split() if a and a != "busybox" and "/" not in a)


def build_layer(busybox):
    with open(busybox, "rb") as f:
        binary = f.read()
    w = TarWriter()
    for d, mode in [("bin", 0o755), ("dev", 0o755), ("etc", 0o755), ("home", 0o755),
                    ("proc", 0o755), ("root", 0o700), ("sys", 0o755), ("tmp", 0o1777)]:
        w.dir(d, mode)
    w.file("bin/busybox", binary, 0o755)
    for applet in applets(busybox):
        w.symlink("bin/" + applet, "busybox")
    w.file("etc/group", GROUP.encode())
    w.file("etc/passwd", PASSWD.encode())
    return w.bytes()


def go_arch():
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def image_config(diff_id):
    return canonical_json({
        "architecture": go_arch(),
        "os": "linux",
        "created": "2000-01-01T00:00:00Z",
        "config": {"Env": [PATH_ENV], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2000-01-01T00:00:00Z",
                     "created_by": "scripts/make-test-image.py"}],
    })


def gzip_bytes(data):
    out = io.BytesIO()
    # mtime=0 and no file name keep the gzip header, and so the digest, stable.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def oci_archive(layer, tag):
    layer_gz = gzip_bytes(layer)
    config = image_config(digest(layer))
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(layer_gz), "size": len(layer_gz)}],
    })
    index = canonical_json({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": digest(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": tag}}],
    })
    w = TarWriter()
    w.file("oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
    w.file("index.json", index)
    w.dir("blobs")
    w.dir("blobs/sha256")
    for blob in sorted([layer_gz, config, manifest], key=digest):
        w.file("blobs/sha256/" + digest(blob)[7:], blob)
    return w.bytes()


def familiar(tag):
    # docker save records docker.io/library names in their short form.
    for prefix in ("docker.io/library/", "docker.io/"):
        if tag.startswith(prefix):
            return tag[len(prefix):]
    return tag


def docker_archive(layer, tag):
    diff_id = digest(layer)
    config = image_config(diff_id)
    layer_id = diff_id[7:]
    name = familiar(tag)
    repo, version = name.rsplit(":", 1) if ":" in name.split("/")[-1] else (name, "latest")
    w = TarWriter()
    w.dir(layer_id)
    w.file(layer_id + "/VERSION", b"1.0")
    w.file(layer_id + "/json", canonical_json({"id": layer_id, "created": "2000-01-01T00:00:00Z"}))
    w.file(layer_id + "/layer.tar", layer)
    w.file(digest(config)[7:] + ".json", config)
    w.file("manifest.json", canonical_json([{
        "Config": digest(config)[7:] + ".json",
        "RepoTags": [name],
        "Layers": [layer_id + "/layer.tar"],
    }]))
    w.file("repositories", canonical_json({repo: {version: layer_id}}))
    return w.bytes()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--format", choices=["oci-archive", "docker-archive"], required=True)
    p.add_argument("--tag", default="docker.io/library/busybox:latest")
    p.add_argument("--out", required=True)
    p.add_argument("--busybox", default="/bin/busybox")
    args = p.parse_args()
    layer = build_layer(args.busybox)
    data = oci_archive(layer, args.tag) if args.format == "oci-archive" else docker_archive(
        layer, args.tag)
    with open(args.out, "wb") as f:
        f.write(data)
    print(args.out, digest(layer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
