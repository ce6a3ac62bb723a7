"""`tutor ask` prints the reply as text: a reply that quotes the learner's code or its exception
(the offline "check my code" reply does) shows their escape codes, never sends them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tutor.agent.session import DoneEvent, TurnResult
from tutor.cli import app

REPLY = ("`count_pairs`: it raised `ValueError: boom \x1b]0;PWNED-TITLE\x07 \x1b]52;c;cHduZWQ=\x07 \u202eevil`.\n\n"
         "Reread **[L1 § BPE]**.")
RAW = ("\x1b", "\x07", "\u202e")


class FakeSession:
    def __init__(self, settings, **kwargs):
        self.ctx = self

    async def turn(self, message):
        yield DoneEvent(TurnResult(reply=REPLY, intent="check_code", action="check"))

    def end_session(self):
        pass


def test_a_reply_quoting_the_learners_exception_prints_its_escape_codes_as_text(monkeypatch):
    import tutor.agent.session

    monkeypatch.setattr(tutor.agent.session, "TutorSession", FakeSession)
    shown = CliRunner().invoke(app, ["ask", "check my code"])
    assert shown.exit_code == 0, shown.output
    assert not any(code in shown.stdout for code in RAW)
    assert "ValueError: boom \\x1b]0;PWNED-TITLE\\x07 \\x1b]52;c;cHduZWQ=\\x07 \\u202eevil" in shown.stdout
    assert "\n\nReread **[L1 § BPE]**." in shown.stdout  # lines and the Markdown stay
    as_json = CliRunner().invoke(app, ["ask", "check my code", "--json"])
    assert not any(code in as_json.stdout for code in RAW) and json.loads(as_json.stdout)["reply"] == REPLY
