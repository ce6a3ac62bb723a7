"""The scratch copy of a lab: a size-capped tmpfs where the host allows it, owned by the lab's uid."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox import locked_dirs, tmpfs
from sandbox.bwrap_args import LAB_MOUNT

# Never copied into the sandbox: earlier runs, version control, environments, caches.
SKIP_TOP = {"runs", ".git", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
SKIP_ANY = {"__pycache__"}
# What one run may copy back from its scratch copy to the host's runs/<id>/.
COPY_BACK_MAX_BYTES = 256 * 2**20
COPY_BACK_MAX_FILES = 2000
# Inodes of the scratch tmpfs: empty files cost kernel memory but no blocks, so size= alone
# does not bound them.
SCRATCH_MAX_INODES = 100_000
PREFIX = "tutor-sandbox-"
# Each runner holds an flock on LOCK_NAME inside its folder for its whole life; a later runner
# sweeps the folders of SIGKILLed ones (locked_dirs).
LOCK_NAME, SWEEP_MAX = locked_dirs.LOCK_NAME, locked_dirs.SWEEP_MAX
SWEEP_MOUNTS = ("", "lab")   # a folder with a mount here is never swept
WATCHDOG = "disk watchdog (du polling) + RLIMIT_FSIZE"


@dataclass
class Workspace:
    root: Path | None          # private to the runner (its lock; bridge/; a lab copy on the host disk)
    lab: Path                  # what the sandbox shows at /lab: root/lab on the host disk, or its tmpfs
    disk_mechanism: str        # what caps the lab's total writes
    mount_options: dict[str, str] | None = None   # limits of the sandbox's own tmpfs at /lab (attach)
    lab_fd: int | None = None          # the runner's way into that tmpfs (attach)
    lock_fd: int | None = None         # the runner's flock on root/LOCK_NAME, held until cleanup
    uid: int | None = None

    @classmethod
    def create(cls, disk_mb: int, uid: int | None, with_lab: bool = True, own_namespace: bool = False) -> "Workspace":
        """What the run's lab copy lives on; with_lab=False (in place): no copy at all.
        The size- and inode-capped tmpfs is never mounted in the host's namespace: bubblewrap
        mounts it at /lab inside the sandbox (own_namespace: the bubblewrap backend, as root) and
        the runner reaches it through a directory descriptor (attach). However the runner dies,
        the sandbox's namespace goes, and the tmpfs with it; nothing of it is on the host disk
        (the runner's folder is made only if something needs it: a model route, a host copy).
        Elsewhere the lab copy lives in root/lab on the host disk, watched."""
        space = cls(root=None, lab=Path(LAB_MOUNT), disk_mechanism=WATCHDOG, uid=uid)
        if with_lab and os.geteuid() == 0 and own_namespace:
            space.mount_options = {"size": f"{disk_mb}m", "nr_inodes": str(SCRATCH_MAX_INODES + 1)}
            return space
        space._make_root()
        if with_lab:
            space.use_host_disk()
        return space

    def _make_root(self) -> Path:
        if self.root is None:
            parent = os.environ.get("SANDBOX_SCRATCH") or tempfile.gettempdir()
            locked_dirs.sweep_now_and_then(parent, PREFIX, SWEEP_MOUNTS)
            self.root, self.lock_fd = locked_dirs.make(PREFIX, parent)
            os.chmod(self.root, 0o711)  # the lab's uid may pass through, not list
        return self.root

    @property
    def sandbox_tmpfs(self) -> bool:
        """Whether the sandbox mounts a tmpfs of its own at /lab for the lab copy."""
        return self.mount_options is not None

    def use_host_disk(self) -> None:
        """The lab copy goes to root/lab on the host disk, watched (also: attach failed)."""
        self.mount_options = None
        self.lab = self._make_root() / "lab"
        self.lab.mkdir(exist_ok=True)

    def bridge(self) -> Path:
        """A folder for the model route's socket (made only for runs that have one: each entry
        here is a create and an unlink on the host's disk, ~0.1-1 ms on a busy ext4 /tmp)."""
        path = self._make_root() / "bridge"
        path.mkdir(mode=0o755)
        return path

    @property
    def mounted(self) -> bool:
        return self.lab_fd is not None

    def attach(self, pid: int) -> None:
        """Open the tmpfs that bubblewrap mounted at /lab in the sandbox whose first process is
        ``pid`` (waiting at its last gate: nothing of the lab runs yet), give it this run's size
        and inode limits, and make it the lab uid's. OSError: no such tmpfs to use."""
        fd = os.open(f"/proc/{pid}/root{self.lab}", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            tmpfs.reconfigure(fd, self.mount_options or {})
            os.fchmod(fd, 0o755)
            if self.uid is not None:
                os.fchown(fd, self.uid, self.uid)
        except BaseException:
            os.close(fd)
            raise
        self.lab_fd = fd
        self.disk_mechanism = f"tmpfs size and {SCRATCH_MAX_INODES} inodes, in the sandbox's own mount namespace"

    @property
    def lab_access(self) -> Path:
        """The runner's way to the lab copy: through its descriptor of the tmpfs when there is one
        (this works after the sandbox's namespace has gone, until cleanup closes it)."""
        return Path(f"/proc/{os.getpid()}/fd/{self.lab_fd}") if self.lab_fd is not None else self.lab

    def copy_lab(self, source: Path, uid: int | None) -> None:
        copy_lab_tree(source, self.lab_access)
        # copytree gave /lab the source's mode; a learner's 0700 folder would then stop bubblewrap
        # (root without capabilities) from entering it. The runner's root stays 0711.
        os.chmod(self.lab_access, 0o755)
        if uid is not None:
            chown_tree(self.lab_access, uid)

    def full(self) -> str | None:
        """'disk' when the scratch tmpfs has no blocks or no inodes left, else None."""
        if not self.mounted:
            return None
        try:
            fs = os.fstatvfs(self.lab_fd)
        except OSError:
            return None
        return "disk" if fs.f_bavail * fs.f_frsize < 64 * 1024 or fs.f_favail < 16 else None

    def used_bytes(self) -> int:
        return tree_bytes(self.lab_access)

    def cleanup(self) -> None:
        if self.lab_fd is not None:  # the last reference to the tmpfs once the sandbox has gone
            os.close(self.lab_fd)
            self.lab_fd = None
        if self.root is not None:
            locked_dirs.release(self.root, self.lock_fd)
        self.lock_fd = None


def sweep_abandoned(parent, limit: int = SWEEP_MAX) -> list[str]:
    """Remove up to `limit` abandoned scratch folders under `parent` (see locked_dirs): never one
    with the scratch tmpfs mounted on it, which only ever lives in the runner's own namespace."""
    return locked_dirs.sweep_abandoned(parent, PREFIX, limit, mounts=SWEEP_MOUNTS)


def copy_lab_tree(source: Path, dest: Path) -> None:
    """The lab without earlier runs, version control, environments and caches. Symlinks stay
    symlinks: inside the sandbox they resolve against the sandbox's root."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in SKIP_ANY}
        if Path(directory) == source:
            skip |= {n for n in names if n in SKIP_TOP}
        return skip

    shutil.copytree(source, dest, symlinks=True, ignore=ignore, dirs_exist_ok=True)


def chown_tree(path: Path, uid: int, gid: int | None = None) -> None:
    gid = uid if gid is None else gid
    os.lchown(path, uid, gid)
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(directory, name), uid, gid)  # lchown: never follow a link out


def drop_links(path: Path) -> int:
    """Remove every entry under `path` that is neither a regular file nor a directory (symlinks,
    fifos, sockets, devices), never following one. An in-place run folder is the learner's once
    handed back: a link the lab planted there (say to /etc/shadow) must not stay. How many went."""
    dropped = 0
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            entry = os.path.join(directory, name)
            mode = os.lstat(entry).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                os.unlink(entry)
                dropped += 1
    return dropped


def tree_bytes(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                pass
    return total


def copy_outputs(source: Path, dest: Path, max_bytes: int | None = None,
                 max_files: int | None = None) -> tuple[list[str], str]:
    """Copy the lab's run outputs back: regular files and directories only, never a symlink,
    and at most max_bytes / max_files in all (the host disk is not the lab's to fill).
    (copied, "" or a one-line note of what was left behind)."""
    copied: list[str] = []
    max_bytes = COPY_BACK_MAX_BYTES if max_bytes is None else max_bytes
    max_files = COPY_BACK_MAX_FILES if max_files is None else max_files
    budget, left = max_bytes, 0
    if not source.is_dir():
        return copied, ""
    for directory, dirs, files in os.walk(source):
        rel = Path(directory).relative_to(source)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            src = Path(directory) / name
            if src.is_symlink() or not src.is_file():
                continue
            target = dest / rel / name
            if target.exists():
                continue  # the runner's own logs and record win
            size = src.lstat().st_size
            if size > budget or len(copied) >= max_files:
                left += 1
                continue
            shutil.copyfile(src, target)
            budget -= size
            copied.append(str(rel / name))
    note = (f"{left} output file(s) not copied back: over the {max_bytes // 2**20} MiB / {max_files} file "
            "copy-back limit") if left else ""
    return copied, note
