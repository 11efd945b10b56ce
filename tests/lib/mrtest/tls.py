"""A test certificate authority: a CA of its own for each test run, and
server certificates it issues for the names a test wants (the right
loopback address, or a wrong host name)."""
import os
import subprocess


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


class TestCA:
    def __init__(self, directory, name):
        self.directory = directory
        self.name = name
        self.cert = os.path.join(directory, name + "-ca.pem")
        self.key = os.path.join(directory, name + "-ca.key")
        os.makedirs(directory, exist_ok=True)
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
                 "-subj", "/CN=mailroute test CA " + name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-keyout", self.key, "-out", self.cert)

    def issue(self, label, subject_alt_name):
        """(certificate, key) for a server, e.g. "IP:127.0.0.1" or
        "DNS:db.wrong.example"."""
        cert = os.path.join(self.directory, "%s-%s.pem" % (self.name, label))
        key = os.path.join(self.directory, "%s-%s.key" % (self.name, label))
        csr = cert + ".csr"
        ext = cert + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n" % subject_alt_name)
        common_name = subject_alt_name.split(":", 1)[1]
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + common_name,
                 "-keyout", key, "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-CAcreateserial", "-days", "3", "-extfile", ext, "-out", cert)
        return cert, key
