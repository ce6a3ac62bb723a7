"""Where things live: the course being taught and the user's data directory.

The course (AGENTS.md, curriculum/, rubrics/) is found, in order: an explicit root,
``TUTOR_COURSE``, the source checkout this package sits in, or the copy shipped in
the wheel under ``tutor/_course``. User data goes to ``TUTOR_HOME`` or the platform's
user data dir; nothing is ever written into the package or the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
APP_NAME = "course-tutor"


def _looks_like_course(root: Path) -> bool:
    return (root / "AGENTS.md").is_file() and (root / "curriculum").is_dir()


def shipped_course_root() -> Path:
    """The course that came with this installation (source tree or wheel data)."""
    source_tree = PACKAGE_DIR.parent
    if _looks_like_course(source_tree):
        return source_tree
    return PACKAGE_DIR / "_course"


def course_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("TUTOR_COURSE")
    if env:
        return Path(env).expanduser().resolve()
    return shipped_course_root()


def tutor_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The user data directory (progress DB, checkpoints, index). Not created here."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("TUTOR_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    env = os.environ.get("TUTOR_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def learner_lab_dir(lesson: int | None, cwd: Path | None = None) -> Path:
    """The learner's own lab folder: ``labs/lesson_NN`` under the directory the tutor was
    started in (the README's workflow). `tutor check`, the chat's code check and the app use it."""
    return (cwd or Path.cwd()) / "labs" / f"lesson_{lesson or 0:02d}"
