"""`tutor run` / `tutor check` read <lab>/lab.toml (F12): through a descriptor, never following a
link, never blocking on a FIFO, at most 64 KiB; anything odd is ignored with one line, never a
traceback."""

from __future__ import annotations

import os
import threading

from tutor.cli.run import _lesson_of


def test_a_plain_lab_toml_gives_its_lesson(tmp_path, capsys):
    (tmp_path / "lab.toml").write_text("lesson = 4\n")
    assert _lesson_of(tmp_path) == 4
    assert _lesson_of(tmp_path / "missing") is None
    (tmp_path / "lab.toml").unlink()
    assert _lesson_of(tmp_path) is None
    assert capsys.readouterr().err == ""


def test_a_lab_toml_that_is_a_symlink_is_not_followed(tmp_path, capsys):
    outside = tmp_path / "root_only.toml"
    outside.write_text("lesson = 7\n")
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "lab.toml").symlink_to(outside)
    assert _lesson_of(lab) is None
    err = capsys.readouterr().err
    assert "ignored" in err and "symlink" in err and len(err.strip().splitlines()) == 1


def test_an_oversized_lab_toml_is_not_read_whole(tmp_path, capsys):
    with open(tmp_path / "lab.toml", "w") as handle:
        handle.write("lesson = 3\n" + "# padding\n" * 10_000)  # valid TOML, ~100 KiB
    assert _lesson_of(tmp_path) is None
    assert "larger than 64 KiB" in capsys.readouterr().err


def test_a_sparse_huge_lab_toml_costs_at_most_the_cap(tmp_path, capsys):
    import tracemalloc

    with open(tmp_path / "lab.toml", "wb") as handle:  # 512 MiB long, no disk cost
        handle.truncate(512 * 2**20)
    tracemalloc.start()
    try:
        assert _lesson_of(tmp_path) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20
    assert "larger than" in capsys.readouterr().err


def test_a_fifo_or_folder_lab_toml_is_ignored_without_blocking(tmp_path, capsys):
    os.mkfifo(tmp_path / "lab.toml")
    result = []
    worker = threading.Thread(target=lambda: result.append(_lesson_of(tmp_path)), daemon=True)
    worker.start()
    worker.join(10)
    assert result == [None]
    os.unlink(tmp_path / "lab.toml")
    (tmp_path / "lab.toml").mkdir()
    assert _lesson_of(tmp_path) is None
    assert "not a regular file" in capsys.readouterr().err


def test_bad_toml_or_bytes_are_one_line_not_a_traceback(tmp_path, capsys):
    (tmp_path / "lab.toml").write_bytes(b"lesson = = 3\n")
    assert _lesson_of(tmp_path) is None
    (tmp_path / "lab.toml").write_bytes(b"lesson = 3\n\xff\xfe")
    assert _lesson_of(tmp_path) is None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not valid TOML" in err[0] and "not UTF-8" in err[1]
