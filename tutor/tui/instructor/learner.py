"""One learner's drill-down: timeline, grades with evidence, misconceptions, contract events, runs.

Built from ``learner_overview(store, id, instructor=True)``: a plain dict, so this screen
never touches the database itself.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Markdown, Static, TabbedContent, TabPane

from tutor.tui.marks import grade_text, literal, status_text
from tutor.untrusted import markdown_inline as md


def when(iso: str | None) -> str:
    """'2026-03-01T09:30:00+00:00' -> '2026-03-01 09:30' (UTC, as stored)."""
    return (iso or "")[:16].replace("T", " ")


def lesson_label(lesson) -> str:
    return "-" if lesson is None else f"L{lesson}"


def head_markdown(view: dict) -> str:
    profile = view.get("profile") or {}
    who = md(view["learner"]) + (f" ({md(profile['name'])})" if profile.get("name") else "")
    current = view.get("current_lesson")
    parts = [f"**{who}**, current lesson: {current if current is not None else 'none yet'}"]
    facts = [f"{k.replace('_', ' ')}: {md(profile[k])}" for k in ("goals", "experience", "learning_style", "python_fluency")
             if profile.get(k)]
    if facts:
        parts.append("; ".join(facts))
    left = view.get("where_left_off")
    if left:
        parts.append(f"Where we left off (lesson {left['lesson']}): {md(left['where_left_off'])}"
                     + "".join(f"\n- {md(step)}" for step in left["next_steps"]))
    return "\n\n".join(parts)


def evidence_markdown(submission: dict) -> str:
    """The criteria of one graded submission, each with its score, level and evidence quotes."""
    checks = submission.get("checks") or {}
    lines = [f"**Lesson {submission['lesson']}**, graded {when(submission.get('graded_at') or submission['time'])}: "
             f"{grade_text(submission['total'])} ({'passed' if submission['passed'] else 'not passed'}); "
             f"checks {checks.get('passed', 0)} passed, {checks.get('failed', 0)} failed; "
             f"judge: {md(submission.get('judge_model') or 'not run')}"
             + ("; **same content as " + ", ".join(map(md, copied)) + "**" if (copied := submission.get("duplicate_of"))
                else ""), ""]
    if not submission["criteria"]:
        return "\n".join(lines + ["_No per-criterion scores were recorded._"])
    lines += ["| criterion | weight | score | level | source |", "| --- | --- | --- | --- | --- |"]
    for c in submission["criteria"]:
        weight = "" if c["weight"] is None else f"{c['weight']:g}"
        lines.append(f"| {md(c['criterion'])} | {weight} | {grade_text(c['score'])} | {md(c['level'] or '')} "
                     f"| {md(c['source'] or '')} |")
    for c in submission["criteria"]:
        quotes = [q for q in c.get("evidence") or [] if q]
        if quotes or c.get("rationale"):
            lines += ["", f"**{md(c['criterion'])}**" + (f": {md(c['rationale'])}" if c.get("rationale") else "")]
            lines += [f"> {md(str(q).strip())}" for q in quotes]
    return "\n".join(lines)


class LearnerScreen(Screen):
    TABS = ("timeline", "grades", "lessons", "misconceptions", "events", "runs")
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back to the cohort")] + [
        Binding(str(i), f"tab('{name}')", name, show=False) for i, name in enumerate(TABS, start=1)]

    def action_tab(self, name: str) -> None:
        self.query_one("#learner-tabs", TabbedContent).active = f"tab-{name}"
        self.query_one(f"#{name}", DataTable).focus()


    def __init__(self, view: dict):
        super().__init__()
        self.view = view
        self.submissions = list(reversed(view.get("submissions") or []))  # newest first

    def compose(self) -> ComposeResult:
        yield Markdown(head_markdown(self.view), id="learner-head")
        with TabbedContent(id="learner-tabs"):
            with TabPane("Timeline", id="tab-timeline"):
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
            with TabPane("Grades", id="tab-grades"):
                yield DataTable(id="grades", cursor_type="row")
                yield Markdown("", id="grade-evidence")
            with TabPane("Lessons", id="tab-lessons"):
                yield DataTable(id="lessons", cursor_type="row")
            with TabPane("Misconceptions", id="tab-misconceptions"):
                yield DataTable(id="misconceptions", cursor_type="row")
            with TabPane("Contract events", id="tab-events"):
                yield DataTable(id="events", cursor_type="row")
            with TabPane("Runs", id="tab-runs"):
                yield DataTable(id="runs", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        view = self.view
        self.fill("timeline", ("time", "kind", "lesson", "what"),
                  [(when(e["time"]), e["kind"], lesson_label(e["lesson"]), e["summary"]) for e in view.get("timeline") or []])
        checks = [s.get("checks") or {} for s in self.submissions]
        self.fill("grades", ("graded", "lesson", "total", "result", "checks passed / failed", "judge"),
                  [(when(s.get("graded_at") or s["time"]), lesson_label(s["lesson"]), grade_text(s["total"]),
                    Text("passed", "green") if s["passed"] else Text("not passed", "red"),
                    f"{c.get('passed', 0)} / {c.get('failed', 0)}", s.get("judge_model") or "not run")
                   for s, c in zip(self.submissions, checks)])
        self.fill("lessons", ("lesson", "status", "attempts", "grade", "started", "passed"),
                  [(lesson_label(r["lesson"]), status_text(r["status"]), str(r["attempts"]), grade_text(r["grade"]),
                    when(r["started_at"]), when(r["passed_at"])) for r in view.get("lessons") or []])
        self.fill("misconceptions", ("seen", "lesson", "misconception", "evidence"),
                  [(when(m["time"]), lesson_label(m["lesson"]), m["misconception_id"], (m["evidence"] or "")[:80])
                   for m in view.get("open_misconceptions") or []])
        self.fill("events", ("time", "lesson", "rule", "action", "detail"),
                  [(when(e["time"]), lesson_label(e["lesson"]), e["rule"], e["action"], (e["detail"] or "")[:60])
                   for e in view.get("contract_events") or []])
        self.fill("runs", ("time", "lesson", "run", "result", "exit", "seconds", "backend", "command"),
                  [(when(r["time"]), lesson_label(r["lesson"]), r["run_id"], r["reason"] or "",
                    "" if r["exit_code"] is None else str(r["exit_code"]),
                    "" if r["duration_s"] is None else f"{r['duration_s']:.1f}", r["backend"] or "",
                    " ".join(r["command"] or [])[:40]) for r in view.get("runs") or []])
        if self.submissions:
            self.query_one("#grade-evidence", Markdown).update(evidence_markdown(self.submissions[0]))
        self.query_one("#timeline", DataTable).focus()

    def fill(self, table_id: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        table.add_columns(*columns)
        if not rows:
            table.add_row(*(["nothing recorded"] + [""] * (len(columns) - 1)))
        for row in rows:  # every str is the learners' or a lab's text: shown literally, never as markup
            table.add_row(*(literal(cell) for cell in row))

    @on(DataTable.RowHighlighted, "#grades")
    def show_evidence(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.submissions):
            self.query_one("#grade-evidence", Markdown).update(evidence_markdown(self.submissions[event.cursor_row]))
