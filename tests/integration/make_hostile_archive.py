"""Writes a docker-archive whose only layer tries to escape the layer directory: a `../`
traversal to TARGET, then an absolute path, then a symlink out of the tree followed by a
file written through it. Usage: make_hostile_archive.py OUT.tar TARGET"""

import hashlib
import io
import json
import sys
import tarfile


def add(tar, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    info.size = len(data) if info.type == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)


def main():
    out, target = sys.argv[1], sys.argv[2]
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as t:
        add(t, "ok.txt", b"fine\n")
        add(t, "../" * 32 + target.lstrip("/"), b"escaped via ..\n")
        add(t, target, b"escaped via an absolute path\n")
        add(t, "link", type=tarfile.SYMTYPE, linkname="/tmp")
        add(t, "link/airlock-escape-marker", b"escaped via a symlink\n")
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["docker.io/library/evil:latest"],
                            "Layers": ["layer/layer.tar"]}]).encode()
    with tarfile.open(out, "w") as t:
        add(t, config_name, config)
        add(t, "layer/layer.tar", layer_bytes)
        add(t, "manifest.json", manifest)


if __name__ == "__main__":
    main()
