"""A throwaway PKI for the node exec API tests, made with the `openssl` command: a CA, a server
certificate for 127.0.0.1/localhost, client certificates whose CN is the user and whose O
entries are the groups (as the Kubernetes x509 authenticator reads them), and a second CA that
the node does not trust."""

import os
import subprocess


def _openssl(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))


class Pki:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_cert, self.ca_key = self._ca("ca", "airlock-test-ca")
        self.other_ca_cert, self.other_ca_key = self._ca("other-ca", "somebody-elses-ca")
        self.server_cert, self.server_key = self._leaf(
            "server", "/CN=airlock-node", self.ca_cert, self.ca_key,
            ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"])

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name, cn):
        cert, key = self.path(name + ".crt"), self.path(name + ".key")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        return cert, key

    def _leaf(self, name, subject, ca_cert, ca_key, extensions):
        cert, key, csr = (self.path(name + ext) for ext in (".crt", ".key", ".csr"))
        ext_file = self.path(name + ".ext")
        with open(ext_file, "w") as f:
            f.write("\n".join(extensions) + "\n")
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", csr, "-subj", subject, cwd=self.dir)
        _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", cert, "-days", "2", "-extfile", ext_file, cwd=self.dir)
        return cert, key

    def client(self, name, user, groups=(), trusted=True):
        """A client certificate: CN=user, one O per group. Returns (cert, key)."""
        subject = "/CN=" + user + "".join("/O=" + g for g in groups)
        ca = (self.ca_cert, self.ca_key) if trusted else (self.other_ca_cert, self.other_ca_key)
        return self._leaf(name, subject, ca[0], ca[1], ["extendedKeyUsage=clientAuth"])
