"""One tutor reply: reasoning (collapsed unless asked for), the Markdown answer, its citations.

The model's text may quote the learner's code or its output: escape codes are made visible before
any widget gets it (tutor.tui.marks.shown), the answer keeps its Markdown, and the reasoning is
plain text (a ``[/x]`` in it is text, not markup)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from tutor.tui.marks import shown

REVISED = "_The tutor revised this reply to keep to the course contract (it will not do the lab for you)._"


def citation_label(citation: dict) -> Text:
    lines = citation.get("lines") or []
    where = f"{citation.get('file', '?')}:{lines[0]}-{lines[1]}" if len(lines) == 2 else str(citation.get("file", "?"))
    return Text(shown(f"[L{citation.get('lesson', '?')}] {citation.get('section', '')} ({where})"))


class Reply(Vertical):
    """Streams into the answer with ``append``; ``finish`` settles it on the final (guarded) text."""

    def __init__(self, *, show_reasoning: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.show_reasoning = show_reasoning
        self.streamed: list[str] = []
        self.reasoning: list[str] = []
        self.citations: list[dict] = []
        self.revised = False

    def compose(self) -> ComposeResult:
        with Collapsible(title="reasoning", collapsed=not self.show_reasoning, classes="reasoning"):
            yield Static("", classes="reasoning-text", markup=False)
        yield Static("thinking...", classes="waiting", markup=False)
        yield Markdown("", classes="answer")

    def waiting(self, text: str) -> None:
        for box in self.query(".waiting"):
            box.update(text)

    def arrived(self) -> None:
        """The first token, reasoning or final reply is here: the waiting line goes."""
        for box in self.query(".waiting"):
            box.remove()

    def on_mount(self) -> None:
        self.query_one(".reasoning", Collapsible).display = False  # until reasoning arrives

    @property
    def body(self) -> Markdown:
        return self.query_one(".answer", Markdown)

    @property
    def text(self) -> str:
        return "".join(self.streamed)

    async def append(self, text: str) -> None:
        self.arrived()
        self.streamed.append(text)
        # one append per token: MarkdownStream.stop() can raise CancelledError into the caller
        # when its task had not started yet (Textual 8.2.8)
        await self.body.append(shown(text))

    def add_reasoning(self, text: str) -> None:
        self.arrived()
        self.reasoning.append(text)
        self.query_one(".reasoning", Collapsible).display = True
        self.query_one(".reasoning-text", Static).update(shown("".join(self.reasoning)))

    async def finish(self, reply: str, citations: list[dict]) -> None:
        """The agent's final reply is the guarded one: when it differs from what streamed (the
        output guard rewrote it), the answer is re-rendered from it."""
        self.arrived()
        if reply and reply.strip() != self.text.strip():
            self.revised = bool(self.streamed)
            self.streamed = [reply]
            await self.body.update(shown(reply) + (f"\n\n{REVISED}" if self.revised else ""))
        self.citations = list(citations or [])
        if self.citations:
            options = OptionList(*(Option(citation_label(c), id=f"cite-{i}") for i, c in enumerate(self.citations)),
                                 classes="citations")
            await self.mount(options)

    def citation(self, option_id: str | None) -> dict | None:
        try:
            return self.citations[int((option_id or "").removeprefix("cite-"))]
        except (ValueError, IndexError):
            return None

    def toggle_reasoning(self) -> None:
        box = self.query_one(".reasoning", Collapsible)
        if box.display:
            box.collapsed = not box.collapsed
