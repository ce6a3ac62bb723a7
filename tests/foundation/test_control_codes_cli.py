"""What the CLI prints from untrusted places (a learner id that is a submission's folder name, an
error quoting one, JSON of a report) carries no code a terminal acts on: ESC/OSC/CSI, BEL, C1
(U+009B is a one-character CSI), bidi controls; and a lone surrogate cannot make printing fail."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tutor.cli import app, common

HOSTILE_ID = "lesson_01_\x1b]0;PWNED\x07\x1b[2J\u202eevil"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def clean(text: str) -> bool:
    return not any(code in text for code in RAW)


def test_one_line_shows_escape_codes_bidi_and_undecodable_bytes():
    line = common.one_line(f"no learner 'x'; known: {HOSTILE_ID} \x9b31m \udcff")
    assert clean(line) and "\udcff" not in line
    assert "lesson_01_\\x1b]0;PWNED\\x07\\x1b[2J\\u202eevil" in line and "\\x9b31m" in line and "\\xff" in line


def test_print_json_escapes_c1_bidi_and_surrogates_and_reads_back_the_same(capsys):
    data = {"name": HOSTILE_ID + "\x9b\udcff", "note": "é ✔ — readable"}
    common.print_json(data)
    out = capsys.readouterr().out
    assert clean(out) and "\udcff" not in out and "é ✔ — readable" in out
    out.encode("utf-8")
    assert json.loads(out) == data


def stored_learner(learner: str):
    from tutor.config import load_settings
    from tutor.store import open_store

    store = open_store(load_settings())
    store.ensure_learner(learner)
    store.set_lesson_status(learner, 1, "submitted")
    store.record_misconception(learner, 1, "tokens_are_words\x1b]0;M\x07", "said so")
    return store


def test_progress_of_a_learner_named_by_a_folder_shows_its_escape_codes():
    stored_learner(HOSTILE_ID)
    runner = CliRunner()
    unknown = runner.invoke(app, ["progress", "--learner", "nobody"])
    assert unknown.exit_code == 2 and "known learners: lesson_01_\\x1b]0;PWNED" in unknown.stderr
    assert clean(unknown.output)
    shown = runner.invoke(app, ["progress", "--learner", HOSTILE_ID])
    assert shown.exit_code == 0, shown.output
    assert clean(shown.output) and "lesson_01_\\x1b]0;PWNED\\x07\\x1b[2J\\u202eevil" in shown.output
    as_json = runner.invoke(app, ["progress", "--learner", HOSTILE_ID, "--json"])
    assert clean(as_json.stdout) and json.loads(as_json.stdout)["learner"] == HOSTILE_ID
