"""Put on PYTHONPATH by tests/test_makefile_build.py when the kernel refuses `unshare -rn`: every Python process of
the build (make's steps and the notebook kernels they start) then refuses to connect anywhere but loopback,
which papermill's kernels need to talk to their parent."""

import ipaddress
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(address) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name would need DNS, which is the network


def _guarded(original):
    def connect(self, address):
        if not _allowed(address):
            raise OSError(101, f"network disabled for this build (tried {address!r})")
        return original(self, address)

    return connect


socket.socket.connect = _guarded(_connect)
socket.socket.connect_ex = _guarded(_connect_ex)
