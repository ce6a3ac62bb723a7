"""An export written to a device or a pipe goes into it; the path is never replaced by a file.

Before the fix, `tutor progress --csv /dev/null` as root replaced /dev/null with a regular file
(mode 0600) for every program on the machine: the atomic write renamed its temp file over it."""

import os
import stat
import threading

from tutor.store.export import write_atomic


def test_a_named_pipe_receives_the_export_and_stays_a_pipe(tmp_path):
    pipe = tmp_path / "out"
    os.mkfifo(pipe)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_text()))
    reader.start()
    write_atomic(pipe, "learner,lesson\nada,1\n")
    reader.join(10)
    assert got == ["learner,lesson\nada,1\n"]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp file left beside it


def test_a_regular_file_is_still_replaced_whole(tmp_path):
    target = tmp_path / "progress.csv"
    target.write_text("old")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["progress.csv"]
