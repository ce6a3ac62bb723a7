"""Limits on a tmpfs that another mount namespace holds, set from outside through a descriptor.

bubblewrap mounts the lab's scratch tmpfs inside the sandbox (it vanishes with the sandbox),
but can give it only a size, not an inode limit, and runs no program of ours between mounting
it and starting the lab. The runner opens the tmpfs through /proc/<sandbox pid>/root and
reconfigures its superblock with the mount API (fspick + fsconfig, Linux 5.2+), which needs
no program, no shell and no entry into the namespace: a few syscalls, microseconds.
"""

from __future__ import annotations

import ctypes
import functools
import os

# The mount API's system call numbers are the same on every architecture (asm-generic, 5.1+).
SYS_FSCONFIG, SYS_FSPICK = 431, 433
FSPICK_CLOEXEC, FSPICK_EMPTY_PATH = 0x1, 0x8
FSCONFIG_SET_STRING, FSCONFIG_CMD_RECONFIGURE = 1, 7


@functools.cache
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _call(number: int, *args) -> int:
    result = _libc().syscall(number, *args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def reconfigure(dir_fd: int, options: dict[str, str]) -> None:
    """Apply ``options`` (tmpfs mount options: size, nr_inodes) to the file system that
    ``dir_fd`` is on. OSError when the kernel cannot (no mount API, refused, bad value)."""
    fs_fd = _call(SYS_FSPICK, ctypes.c_int(dir_fd), b"", ctypes.c_uint(FSPICK_EMPTY_PATH | FSPICK_CLOEXEC))
    try:
        for key, value in options.items():
            _call(SYS_FSCONFIG, ctypes.c_int(fs_fd), ctypes.c_uint(FSCONFIG_SET_STRING), key.encode(),
                  value.encode(), ctypes.c_int(0))
        _call(SYS_FSCONFIG, ctypes.c_int(fs_fd), ctypes.c_uint(FSCONFIG_CMD_RECONFIGURE), None, None,
              ctypes.c_int(0))
    finally:
        os.close(fs_fd)

