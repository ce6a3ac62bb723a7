"""One learner's progress gathered into a plain dict: what `tutor progress` and
`tutor instructor learner` print (the instructor's view adds the timeline and events)."""

from __future__ import annotations


def learner_overview(store, learner_id: str, *, instructor: bool = False) -> dict:
    grades: dict[int, dict] = {}
    for sub in store.submissions(learner_id):
        grades[sub["lesson"]] = sub  # oldest first, so the latest wins
    lessons = []
    for row in store.lesson_progress(learner_id):
        latest = grades.get(row["lesson"])
        lessons.append({**row, "grade": latest["total"] if latest else None,
                        "graded_passed": latest["passed"] if latest else None})
    view = {"learner": learner_id, "profile": store.get_profile(learner_id),
            "current_lesson": store.current_lesson(learner_id), "lessons": lessons,
            "where_left_off": store.latest_summary(learner_id),
            "open_misconceptions": store.open_misconceptions(learner_id)}
    if instructor:
        view["submissions"] = store.submissions(learner_id)
        view["contract_events"] = store.contract_events(learner_id)
        view["runs"] = [{k: v for k, v in r.items() if k != "record"} for r in store.runs(learner_id)]
        view["timeline"] = store.timeline(learner_id)
        view["check_progress"] = store.check_progress(learner_id)
    return view


def pct(value) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def overview_lines(view: dict) -> list[str]:
    profile = view["profile"] or {}
    who = f"{view['learner']}" + (f" ({profile['name']})" if profile.get("name") else "")
    current = view["current_lesson"]
    lines = [f"Learner {who}; current lesson: {current if current is not None else 'none yet'}", ""]
    if view["lessons"]:
        lines.append(f"{'lesson':>6}  {'status':<12} {'attempts':>8}  {'grade':>5}")
        for row in view["lessons"]:
            lines.append(f"{row['lesson']:>6}  {row['status']:<12} {row['attempts']:>8}  {pct(row['grade']):>5}")
    else:
        lines.append("No lesson started yet.")
    left = view["where_left_off"]
    if left:
        lines += ["", f"Where we left off (lesson {left['lesson']}): {left['where_left_off']}"]
        lines += [f"  - {step}" for step in left["next_steps"]]
    if view.get("check_progress"):
        lines += ["", "Check attempts per TODO (tries until it passed; the check that held them up longest):"]
        for row in view["check_progress"]:
            until = f"passed on try {row['tries_until_pass']}" if row["passed"] else "not passed yet"
            held = f"; held longest by {row['held_longest']} ({row['held_tries']}x)" if row["held_longest"] else ""
            lines.append(f"  - lesson {row['lesson']} {row['todo']}: {row['tries']} tries, {until}{held}")
    if view["open_misconceptions"]:
        lines += ["", "Open misconceptions:"]
        lines += [f"  - lesson {m['lesson']}: {m['misconception_id']}" for m in view["open_misconceptions"]]
    return lines
