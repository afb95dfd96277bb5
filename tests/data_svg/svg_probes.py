"""Probes that prove a file was never opened (inotify) and a socket was never connected to."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import struct
import sys
from pathlib import Path

IN_ACCESS = 0x001
IN_OPEN = 0x020
_EVENT_HEADER = struct.Struct("iIII")


class OpenWatch:
    """Records every open/read of the watched files by any process (Linux inotify)."""

    def __init__(self, paths: list[Path]) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        for path in paths:
            wd = libc.inotify_add_watch(self._fd, os.fsencode(path), IN_OPEN | IN_ACCESS)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch failed for {path}")

    def events(self) -> int:
        """How many open/access events happened since the watch started."""
        count = 0
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return count
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = _EVENT_HEADER.unpack_from(data, offset)
                if mask & (IN_OPEN | IN_ACCESS):
                    count += 1
                offset += _EVENT_HEADER.size + length

    def close(self) -> None:
        os.close(self._fd)


class ListeningSocket:
    """A local TCP listener; `connections()` counts clients that reached it."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.setblocking(False)
        self.port = self._sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self._sock.close()


inotify_available = sys.platform.startswith("linux")
