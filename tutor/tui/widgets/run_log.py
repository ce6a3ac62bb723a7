"""The lab run panel: the sandbox's output streamed line by line, then the run record. The lab's
output and the record's fields are the learner's code's: shown as plain text, escape codes visible."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tutor.tui.marks import shown


def record_summary(record: dict, stored: bool) -> str:
    """One or two lines a learner can act on: how it ended, how long, where the record is."""
    took = record.get("duration_s")
    peak = record.get("peak_rss_mb")
    parts = [f"result: {record.get('reason', '?')}", f"exit {record.get('exit_code')}"]
    if took is not None:
        parts.append(f"{took:.1f} s")
    if peak is not None:
        parts.append(f"peak {peak:.0f} MB")
    parts.append(f"backend {record.get('backend', '?')}")
    line = "Run " + str(record.get("run_id", "?")) + ": " + ", ".join(parts)
    if record.get("detail"):
        line += f"\n{record['detail']}"
    where = f"record: {record.get('run_dir', '?')}/run.json"
    where += ", stored in your progress" if stored else ", NOT stored in the progress DB"
    return shown(f"{line}\n{where}")


def _overwritten(line: str) -> str:
    """What a terminal leaves of a line that returns to its start (a progress bar's ``\\r``): the
    last part that says something."""
    parts = [part for part in line.split("\r") if part.strip()]
    return parts[-1] if parts else line.replace("\r", "")


class RunLog(Vertical):
    """Hidden until a run starts; ``escape`` in the app hides it again. The log widget is
    created by the first run, so the app's first paint does not import it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.running = False
        self.lines = 0

    def compose(self) -> ComposeResult:
        yield Static("", classes="run-title", markup=False)
        yield Static("", classes="run-record", markup=False)

    def start(self, title: str) -> None:
        from textual.widgets import RichLog

        self.running = True
        self.lines = 0
        self.query_one(".run-title", Static).update(shown(title))
        if not self.query(".run-output"):
            self.mount(RichLog(classes="run-output", wrap=True, markup=False, highlight=False, max_lines=2000),
                       before=self.query_one(".run-record"))
        else:
            self.query_one(".run-output").clear()
        self.query_one(".run-record", Static).update("running... (output appears as the lab prints it)")
        self.add_class("open")

    def write(self, stream: str, text: str) -> None:
        for line in text.rstrip("\n").split("\n"):
            line = shown(_overwritten(line))
            self.lines += 1
            self.query_one(".run-output").write(f"[{stream}] {line}" if stream == "stderr" else line)

    def finish(self, summary: str) -> None:
        self.running = False
        self.query_one(".run-record", Static).update(shown(summary))

    @property
    def output(self) -> str:
        return "\n".join(strip.text for strip in self.query_one(".run-output").lines)
