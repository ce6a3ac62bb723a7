"""The scratch copy of a lab: a size-capped tmpfs where the host allows it, owned by the lab's uid."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox import fdtree, locked_dirs, safe_files, tmpfs
from sandbox.bwrap_args import LAB_MOUNT

# Never copied into the sandbox: earlier runs, version control, environments, caches.
SKIP_TOP = frozenset({"runs", ".git", ".venv", "venv", ".mypy_cache", ".pytest_cache"})
SKIP_ANY = frozenset({"__pycache__"})
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

    def open_lab(self) -> int:
        """A descriptor of the lab copy: the tmpfs's own when there is one (it works after the
        sandbox's namespace has gone, until cleanup closes it), else root/lab on the host disk.
        Never a path below /proc/self/fd/N: what follows N would be resolved in the host's
        namespace, through any link the lab put there."""
        return os.dup(self.lab_fd) if self.lab_fd is not None else safe_files.open_dir(self.lab)

    def copy_lab(self, source: Path, uid: int | None, max_bytes: int | None = None) -> None:
        src = safe_files.open_dir(source)
        try:
            dst = self.open_lab()
            try:
                copy_lab_fds(src, dst, max_bytes, uid)
                # /lab stays 0755 whatever the source's mode: a learner's 0700 folder would stop
                # bubblewrap (root without capabilities) from entering it. The runner's root stays 0711.
                os.fchmod(dst, 0o755)
                if uid is not None:
                    os.fchown(dst, uid, uid)
            finally:
                os.close(dst)
        finally:
            os.close(src)

    def make_run_dir(self, run_id: str, uid: int | None) -> None:
        """runs/<run_id> in the lab copy, the lab uid's (runs/ too: the lab owns its copy)."""
        lab = self.open_lab()
        try:
            runs = safe_files.open_subdir(lab, "runs", create=True)
            try:
                run = safe_files.make_subdir(runs, run_id)
                for fd in (runs, run) if uid is not None else ():
                    os.fchown(fd, uid, uid)
                os.close(run)
            finally:
                os.close(runs)
        finally:
            os.close(lab)

    def open_run_dir(self, run_id: str) -> int:
        """The lab's runs/<run_id> as it is now, for the copy back: the lab owns both levels and may
        have put a link at either; UnsafeFile then (a link there would be resolved in the host's
        namespace, not the sandbox's)."""
        lab = self.open_lab()
        try:
            runs = safe_files.open_subdir(lab, "runs")
            try:
                return safe_files.open_subdir(runs, run_id)
            finally:
                os.close(runs)
        finally:
            os.close(lab)

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
        fd = self.open_lab()
        try:
            return fdtree.usage(fd)[0]
        finally:
            os.close(fd)

    def cleanup(self) -> None:
        if self.lab_fd is not None:  # the last reference to the tmpfs once the sandbox has gone
            os.close(self.lab_fd)
            self.lab_fd = None
        if self.root is not None:
            locked_dirs.release(self.root, self.lock_fd)
        self.lock_fd = None


def make_run_folder(runs_root: Path, run_id: str, parents: bool = False) -> int:
    """A new folder runs_root/run_id and its descriptor, which the runner keeps for the whole
    run: runs/ may be the learner's (they may rename what is in it, or plant links there), so
    nothing of the run is ever written by path; runs_root itself may not be a link.
    ``parents``: a runs folder the caller named is made with its parents."""
    if parents:
        runs_root.mkdir(parents=True, exist_ok=True)
    runs_fd = safe_files.open_dir(runs_root, create=True)
    try:
        return safe_files.make_subdir(runs_fd, run_id)
    finally:
        os.close(runs_fd)


def sweep_abandoned(parent, limit: int = SWEEP_MAX) -> list[str]:
    """Remove up to `limit` abandoned scratch folders under `parent` (see locked_dirs): never one
    with the scratch tmpfs mounted on it, which only ever lives in the runner's own namespace."""
    return locked_dirs.sweep_abandoned(parent, PREFIX, limit, mounts=SWEEP_MOUNTS)


def copy_lab_tree(source: Path, dest: Path, max_bytes: int | None = None, uid: int | None = None) -> None:
    """copy_lab_fds for folders given by path (dest is made if need be; neither may be a link)."""
    src = safe_files.open_dir(source)
    try:
        dst = safe_files.open_dir(dest, create=True)
        try:
            copy_lab_fds(src, dst, max_bytes, uid)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def copy_lab_fds(src: int, dst: int, max_bytes: int | None = None, uid: int | None = None) -> None:
    """The lab without earlier runs, version control, environments and caches. Symlinks stay
    symlinks: inside the sandbox they resolve against the sandbox's root. Through descriptors
    (sandbox/fdtree.py): a learner swapping a file for a link as it is copied gets the link,
    never what it points to; FIFOs and devices are left out. TooBig (an OSError) when its files,
    counted at their full size (sparse or not) before each is copied, pass max_bytes."""
    fdtree.copy_tree(src, dst, max_bytes=max_bytes, links=True, preserve=True, uid=uid,
                     skip_top=SKIP_TOP, skip_any=SKIP_ANY, strict=True)


def tree_bytes(path: Path) -> int:
    """Bytes on disk under ``path`` (not following links), MAX_DEPTH levels down at most."""
    return tree_usage(path)[0]


def tree_usage(path: Path) -> tuple[int, int]:
    fd = safe_files.open_dir(path)
    try:
        return fdtree.usage(fd)
    finally:
        os.close(fd)


class DiskWatch:
    """The disk watchdog's measure: bytes the lab added under ``path`` since the start, through a
    descriptor taken now (whatever becomes of the path). Folders nested deeper than a walk looks
    (fdtree.MAX_DEPTH) that were not there at the start count as over any limit: what is in them
    cannot be measured."""

    def __init__(self, path: Path):
        self.fd = safe_files.open_dir(path)
        self.baseline, self.deep = fdtree.usage(self.fd)
        self.note = ""

    def __call__(self) -> float:
        used, deep = fdtree.usage(self.fd)
        if deep > self.deep:
            self.note = f"folders nested deeper than {fdtree.MAX_DEPTH} levels cannot be measured: over the disk limit"
            return float("inf")
        return used - self.baseline

    def close(self) -> None:
        os.close(self.fd)


def hand_back(run_fd: int, owner: os.stat_result | None) -> str:
    """An in-place run folder becomes the learner's (fdtree.hand_back, on the descriptor the
    runner made it with: never a link the lab put at its name), chowned to ``owner``'s uid and
    gid (None: left as they are); a note when folders too deep to walk were removed."""
    _, deep = fdtree.hand_back(run_fd, owner.st_uid if owner else None, owner.st_gid if owner else None)
    return f"{deep} folder(s) nested deeper than {fdtree.MAX_DEPTH} levels removed from the run folder" if deep else ""


def copy_outputs(src_fd: int, dst_fd: int, max_bytes: int | None = None,
                 max_files: int | None = None) -> tuple[list[str], str]:
    """Copy the lab's run outputs back, folder src_fd into dst_fd: regular files and folders
    only, never a symlink, never over a name already there (the runner's own logs and record
    win), and at most max_bytes / max_files in all (the host disk is not the lab's to fill).
    (copied, "" or a one-line note of what was left behind)."""
    max_bytes = COPY_BACK_MAX_BYTES if max_bytes is None else max_bytes
    max_files = COPY_BACK_MAX_FILES if max_files is None else max_files
    done = fdtree.copy_tree(src_fd, dst_fd, max_bytes=max_bytes, max_files=max_files)
    notes = []
    if done.left:
        notes.append(f"{done.left} output file(s) not copied back: over the {max_bytes // 2**20} MiB / "
                     f"{max_files} file copy-back limit")
    if done.too_deep:
        notes.append(f"{done.too_deep} output folder(s) nested deeper than {fdtree.MAX_DEPTH} levels not copied back")
    return done.files, "; ".join(notes)
