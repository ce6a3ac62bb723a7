"""The scratch copy of a lab: a size-capped tmpfs where the host allows it, owned by the lab's uid."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Never copied into the sandbox: earlier runs, version control, environments, caches.
SKIP_TOP = {"runs", ".git", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
SKIP_ANY = {"__pycache__"}
# What one run may copy back from its scratch copy to the host's runs/<id>/.
COPY_BACK_MAX_BYTES = 256 * 2**20
COPY_BACK_MAX_FILES = 2000
# Inodes of the scratch tmpfs: empty files cost kernel memory but no blocks, so size= alone
# does not bound them.
SCRATCH_MAX_INODES = 100_000


@dataclass
class Workspace:
    root: Path                 # private to the runner: holds lab/, etc/, bridge/
    lab: Path                  # what the sandbox binds at /lab
    disk_mechanism: str        # what caps the lab's total writes
    mounted: bool = False

    @classmethod
    def create(cls, disk_mb: int, uid: int | None, with_lab: bool = True) -> "Workspace":
        """The runner's private directory; with_lab=False (in place) holds only etc/ and bridge/."""
        root = Path(tempfile.mkdtemp(prefix="tutor-sandbox-", dir=os.environ.get("SANDBOX_SCRATCH")))
        os.chmod(root, 0o711)  # the lab's uid may pass through, not list
        for sub in ("etc", "bridge"):
            (root / sub).mkdir(mode=0o755)
        lab = root / "lab"
        mounted = False
        if with_lab:
            lab.mkdir()
            if os.geteuid() == 0:
                owner = f",uid={uid},gid={uid}" if uid is not None else ""
                mounted = _mount_tmpfs(lab, f"size={disk_mb}m,nr_inodes={SCRATCH_MAX_INODES + 1},mode=0755{owner}")
        mechanism = f"tmpfs size and {SCRATCH_MAX_INODES} inodes" if mounted else "disk watchdog (du polling) + RLIMIT_FSIZE"
        return cls(root=root, lab=lab, disk_mechanism=mechanism, mounted=mounted)

    def copy_lab(self, source: Path, uid: int | None) -> None:
        def ignore(directory: str, names: list[str]) -> set[str]:
            skip = {n for n in names if n in SKIP_ANY}
            if Path(directory) == source:
                skip |= {n for n in names if n in SKIP_TOP}
            return skip

        # Symlinks stay symlinks: inside the sandbox they resolve against the sandbox's root.
        shutil.copytree(source, self.lab, symlinks=True, ignore=ignore, dirs_exist_ok=True)
        # copytree gave /lab the source's mode; a learner's 0700 folder would then stop bubblewrap
        # (root without capabilities) from entering it. The runner's root stays 0711.
        os.chmod(self.lab, 0o755)
        if uid is not None:
            chown_tree(self.lab, uid)

    def write_etc(self, uid: int, copied: tuple[str, ...], mount_points: tuple[str, ...] = ()) -> Path:
        """The sandbox's /etc: passwd/group naming the lab's uid (getpass and friends work, no
        host accounts are shown) and copies of the few host files programs need to start."""
        etc = self.root / "etc"
        (etc / "passwd").write_text(f"root:x:0:0::/root:/usr/sbin/nologin\n"
                                    f"lab:x:{uid}:{uid}:lab:/tmp:/usr/sbin/nologin\n"
                                    "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n")
        (etc / "group").write_text(f"root:x:0:\nlab:x:{uid}:\nnogroup:x:65534:\n")
        for name in copied:
            source = Path("/etc") / name
            if source.is_file():
                shutil.copyfile(source, etc / name)  # follows links: /etc/localtime is one
        for entry in etc.iterdir():
            os.chmod(entry, 0o644)
        for name in mount_points:  # host directories bound on top need a place in the read-only /etc
            (etc / name).mkdir(mode=0o755, exist_ok=True)
        return etc

    def full(self) -> str | None:
        """'disk' when the scratch tmpfs has no blocks or no inodes left, else None."""
        if not self.mounted:
            return None
        try:
            fs = os.statvfs(self.lab)
        except OSError:
            return None
        return "disk" if fs.f_bavail * fs.f_frsize < 64 * 1024 or fs.f_favail < 16 else None

    def used_bytes(self) -> int:
        return tree_bytes(self.lab)

    def cleanup(self) -> None:
        if self.mounted:
            _unmount(self.lab)
        shutil.rmtree(self.root, ignore_errors=True)


@functools.cache
def _libc():
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not glibc: ask the loader (ctypes.util forks helpers, so only as a fallback)
        import ctypes.util

        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _mount_tmpfs(target: Path, options: str) -> bool:
    """mount(2) directly: forking mount(8) costs milliseconds on every run."""
    try:
        return _libc().mount(b"tutor-sandbox", str(target).encode(), b"tmpfs", 0, options.encode()) == 0
    except (OSError, AttributeError):
        return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tutor-sandbox", str(target)],
                              capture_output=True).returncode == 0


def _unmount(target: Path) -> None:
    MNT_DETACH = 2
    try:
        if _libc().umount2(str(target).encode(), MNT_DETACH) == 0:
            return
    except (OSError, AttributeError):
        pass
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


def chown_tree(path: Path, uid: int, gid: int | None = None) -> None:
    gid = uid if gid is None else gid
    os.lchown(path, uid, gid)
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(directory, name), uid, gid)  # lchown: never follow a link out


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
