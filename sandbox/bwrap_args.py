"""Build the bubblewrap command line. A pure function of a spec, so it is unit-tested directly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath

LAB_MOUNT = "/lab"
BRIDGE_MOUNT = "/.sandbox"
# In place of a file descriptor after --file: launch.hidden_options puts a fresh memfd holding
# that file's content there at each spawn (a descriptor is read once, and a run may spawn twice).
DATA_FD = "@data:"


@dataclass
class BwrapSpec:
    bwrap: str
    lab_host_dir: str
    command: list[str]
    env: dict[str, str]
    system_dirs: list[str]                      # host paths shown read-only (or as symlinks)
    python_dirs: list[str]                      # venv / pyenv prefixes, read-only at the same path
    etc_files: list[str]                        # host /etc entries bound read-only over the generated /etc
    etc_generated: list[str] = field(default_factory=list)   # /etc files made from data (DATA_FD)
    drop_to_uid: int | None = None              # root runner: the lab's uid (setpriv, or bwrap in userns_fd)
    userns_fd: int | None = None                # root runner: bwrap enters this namespace (sandbox/userns.py)
    setpriv: str = "/usr/bin/setpriv"
    userns_uid: int | None = None               # unprivileged runner: uid seen inside the userns
    tmp_mb: int | None = 256
    size_option: bool = True                    # bwrap >= 0.7 knows --size
    gpu_devices: list[str] = field(default_factory=list)
    show_sys: bool = False
    bridge_dir: str | None = None               # host dir with the model route's Unix socket
    lab_mount: str = LAB_MOUNT
    lab_tmpfs: bool = False                     # a tmpfs of the sandbox's own at lab_mount, not a bind
    dev_dir: str | None = None                  # a host folder of device nodes bound at /dev (sandbox/devdir.py)


def system_mounts(dirs: list[str]) -> list[str]:
    """/usr read-only; /bin, /lib... as the same symlinks on merged-/usr systems."""
    args: list[str] = []
    for path in dirs:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _parents_0755(dest: str, made: set[str]) -> list[str]:
    """bwrap makes missing parents 0700 when run as root; the dropped uid must traverse them."""
    args: list[str] = []
    parents = list(PurePosixPath(dest).parents)[::-1][1:]  # skip "/"
    for parent in parents:
        text = str(parent)
        if text not in made:
            made.add(text)
            args += ["--perms", "0755", "--dir", text]
    return args


def build_argv(spec: BwrapSpec) -> list[str]:
    argv = [spec.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if spec.userns_uid is not None:
        argv += ["--unshare-user", "--uid", str(spec.userns_uid), "--gid", str(spec.userns_uid)]
    elif spec.drop_to_uid is not None and spec.userns_fd is not None:
        uid = str(spec.drop_to_uid)   # bwrap switches to it after building the sandbox: no setpriv
        argv += ["--userns", str(spec.userns_fd), "--uid", uid, "--gid", uid]
    argv += ["--cap-drop", "ALL"]
    if spec.drop_to_uid is not None and spec.userns_fd is None:
        # setpriv needs these two to switch uid; they vanish with the switch (uid 0 -> non-zero).
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]

    argv += system_mounts(spec.system_dirs)
    argv += ["--proc", "/proc"]
    if spec.dev_dir and not spec.gpu_devices:   # binding nodes below /dev would write into that folder
        argv += ["--dev-bind", spec.dev_dir, "/dev"]
    else:
        argv += ["--dev", "/dev"]
    for node in spec.gpu_devices:
        argv += ["--dev-bind", node, node]  # a plain --bind of a device node is refused by the driver
    if spec.show_sys:
        argv += ["--ro-bind", "/sys", "/sys"]
    # /tmp and /dev/shm (multiprocessing needs it) are private, world-writable with the sticky
    # bit like the host's, and size-capped: a tmpfs is memory, outside RLIMIT_AS.
    for mount in ("/tmp", "/dev/shm"):
        argv += ["--perms", "1777"]
        if spec.tmp_mb and spec.size_option:
            argv += ["--size", str(spec.tmp_mb * 1024 * 1024)]
        argv += ["--tmpfs", mount]

    # The sandbox's /etc: a folder in bwrap's own root tmpfs (read-only at the end, with the rest of
    # the root), filled from memory. No file of it is ever on the host's disk (writing and removing
    # them there cost ~1 ms a run), and no mount of its own (a tmpfs and its remount: ~0.15 ms).
    made: set[str] = {"/tmp", "/etc"}
    argv += ["--perms", "0755", "--dir", "/etc"]
    for name in spec.etc_generated:
        argv += ["--perms", "0644", "--file", DATA_FD + name, f"/etc/{name}"]
    for entry in spec.etc_files:
        argv += _parents_0755(entry, made) + ["--ro-bind", entry, entry]
    for path in spec.python_dirs:
        argv += _parents_0755(path, made) + ["--ro-bind", path, path]
    if spec.bridge_dir:
        argv += ["--ro-bind", spec.bridge_dir, BRIDGE_MOUNT]
    if spec.lab_tmpfs:  # its limits are set from outside before the lab starts (workspace.attach)
        argv += _parents_0755(spec.lab_mount, made) + ["--perms", "0755", "--tmpfs", spec.lab_mount]
    else:
        argv += _parents_0755(spec.lab_mount, made) + ["--bind", spec.lab_host_dir, spec.lab_mount]
    # The sandbox's root (bwrap's own tmpfs, holding /etc and the mount points above) read-only: in
    # a user namespace the directories bwrap makes there belong to the lab's uid.
    argv += ["--remount-ro", "/", "--chdir", spec.lab_mount, "--clearenv"]
    for key, value in sorted(spec.env.items()):
        argv += ["--setenv", key, value]
    argv += ["--"]
    if spec.drop_to_uid is not None and spec.userns_fd is None:
        uid = str(spec.drop_to_uid)
        argv += [spec.setpriv, "--reuid", uid, "--regid", uid, "--clear-groups",
                 "--inh-caps=-all", "--no-new-privs", "--"]
    return argv + list(spec.command)
