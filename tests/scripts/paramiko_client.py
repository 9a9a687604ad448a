#!/usr/bin/env python3
"""paramiko client actions for Gatehouse's end-to-end tests.

Each action prints one JSON object on stdout and exits 0; the Rust test asserts on it.
paramiko is what many scripts (and Ansible, and rclone-like tools) use, and it behaves
differently from OpenSSH: it prefetches reads in `get()`, confirms `put()` with a STAT,
and waits for READDIR's EOF.
"""

import argparse
import hashlib
import json
import sys

import paramiko


def connect(args):
    transport = paramiko.Transport(("127.0.0.1", args.port))
    transport.connect(username=args.user, password=args.password)
    return transport, paramiko.SFTPClient.from_transport(transport)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def roundtrip(sftp, args):
    """put() with its size-confirming STAT, then prefetching get() back."""
    attrs = sftp.put(args.local, args.remote, confirm=True)
    back = args.local + ".back"
    sftp.get(args.remote, back)
    return {"put_size": attrs.st_size, "sent": sha256(args.local), "received": sha256(back)}


def normalize(sftp, args):
    paths = [".", "", "a/../b", "../..", "/../acme2", "not/yet/existing.txt", "newfile.txt"]
    return {path: sftp.normalize(path) for path in paths}


def listdir(sftp, args):
    return {"names": sorted(sftp.listdir(args.remote))}


def rename_semantics(sftp, args):
    for name, body in (("a", b"v1"), ("b", b"v2")):
        with sftp.open(name, "w") as handle:
            handle.write(body)
    result = {}
    try:
        sftp.rename("b", "a")
        result["plain_rename"] = "succeeded"
    except IOError as err:
        result["plain_rename"] = "refused: %s" % err
    result["a_after_plain"] = sftp.open("a").read().decode()
    sftp.posix_rename("b", "a")
    result["a_after_posix"] = sftp.open("a").read().decode()
    result["b_exists"] = "b" in sftp.listdir(".")
    sftp.rename("a", "a")
    result["a_after_self"] = sftp.open("a").read().decode()
    return result


def escapes(sftp, args):
    """Every way out of the root; each must fail or stay inside."""
    outcome = {}
    for label, call in (
        ("stat_parent_sibling", lambda: sftp.stat("/../acme2/secret.txt")),
        ("open_relative_sibling", lambda: sftp.open("../acme2/secret.txt").read()),
        ("listdir_parent", lambda: sftp.listdir("..")),
        ("symlink_out_then_read", lambda: (sftp.symlink("../acme2", "sib"), sftp.listdir("sib"))),
        ("put_through_parent", lambda: sftp.open("../acme2/x", "w").write(b"x")),
    ):
        try:
            value = call()
            outcome[label] = "ok: %r" % (value,)
        except IOError as err:
            outcome[label] = "refused: %s" % err
    return outcome


def attrs(sftp, args):
    """A6/A7: times and modes set by path and by handle; no mode 000."""
    with sftp.open("noattrs.txt", "w") as handle:
        handle.write(b"hello")
        handle.utime((1577934245, 1577934245))
    sftp.utime("noattrs.txt", (1577934245, 1577934245))
    sftp.chmod("noattrs.txt", 0o640)
    stat = sftp.stat("noattrs.txt")
    return {"mtime": stat.st_mtime, "mode": stat.st_mode & 0o777, "size": stat.st_size}


ACTIONS = {
    "roundtrip": roundtrip,
    "normalize": normalize,
    "listdir": listdir,
    "rename_semantics": rename_semantics,
    "escapes": escapes,
    "attrs": attrs,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--local")
    parser.add_argument("--remote", default=".")
    parser.add_argument("action", choices=sorted(ACTIONS))
    args = parser.parse_args()
    transport, sftp = connect(args)
    try:
        print(json.dumps(ACTIONS[args.action](sftp, args)))
    finally:
        sftp.close()
        transport.close()


if __name__ == "__main__":
    sys.exit(main())
