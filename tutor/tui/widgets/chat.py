"""The conversation pane: questions, replies, notes from the app (errors, run results).

Markdown (with its parser and highlighter) and the reply widget are imported on first use,
after the first paint: they are a fifth of the app's import time. Every text is shown through
tutor.tui.marks.shown: a note or a stored turn may quote a model, a lab run or the learner's code,
and its escape codes must not reach the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.tui.marks import shown

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from tutor.tui.widgets.reply import Reply


class ChatLog(VerticalScroll):
    def add_note(self, text: str, *, kind: str = "note") -> "Markdown":
        from textual.widgets import Markdown

        note = Markdown(shown(text), classes=f"note {kind}")
        self.mount(note)
        self.scroll_end(animate=False)
        return note

    def add_plain_note(self, text: str, *, kind: str) -> None:
        """A note without Markdown, for the first paint."""
        self.mount(Static(shown(text), classes=f"plain-note {kind}", markup=False))

    async def add_question(self, text: str) -> None:
        await self.mount(Static(shown(f"> {text}"), classes="question", markup=False))
        self.scroll_end(animate=False)

    async def new_reply(self, *, show_reasoning: bool) -> "Reply":
        from tutor.tui.widgets.reply import Reply

        reply = Reply(show_reasoning=show_reasoning, classes="reply")
        # awaited: a Markdown resets its text when it mounts, which would drop early tokens
        await self.mount(reply)
        self.scroll_end(animate=False)
        return reply

    async def show_history(self, turns: list[dict], heading: str) -> None:
        """Earlier turns of this thread, as they were stored (text only where it was logged)."""
        from textual.widgets import Markdown

        logged = [t for t in turns if t.get("message") or t.get("reply")]
        if not logged:
            return
        await self.mount(Markdown(shown(heading), classes="note history"))
        for turn in logged:
            await self.mount(Static(shown(f"> {turn.get('message') or '(message not logged)'}"), classes="question",
                                    markup=False))
            await self.mount(Markdown(shown(turn.get("reply") or "_(reply not logged)_"), classes="history-reply"))
        self.scroll_end(animate=False)

    def last_reply(self) -> "Reply | None":
        from tutor.tui.widgets.reply import Reply

        replies = self.query(Reply)
        return replies.last() if replies else None
