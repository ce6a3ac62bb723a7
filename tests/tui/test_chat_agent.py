"""The learner app against the real teacher agent (LangGraph graph, store-backed memory) on a
two-lesson course: onboarding, where we left off, streamed replies, citations, the guard,
lesson threads and quitting. Models are offline or scripted (replay)."""

from textual.widgets import Button, Input, Markdown, OptionList

from tests.tui.conftest import wait_until
from tutor.store import open_store
from tutor.tui.app import TutorApp
from tutor.tui.screens.onboarding import OnboardingScreen
from tutor.tui.widgets.reply import Reply
from tutor.tui.widgets.sidebar import LessonList
from tutor.tui.widgets.status_bar import StatusBar

SIZE = (120, 40)
LOAD = 120  # seconds: the first test of a process loads the embedding model


def notes(app) -> list[str]:
    return [m.source for m in app.query(".note").results(Markdown)]


def seed_profile(settings, learner="ada", **extra):
    store = open_store(settings)
    store.save_profile(learner, name="Ada", goals="understand attention", experience="some numpy",
                       learning_style="hands-on experiments", python_fluency="advanced")
    return store


async def ask(app, pilot, text: str) -> Reply:
    before = len(app.query(Reply))
    app.query_one("#prompt", Input).value = text
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(app.query(Reply)) > before)
    reply = app.query(Reply).last()
    await wait_until(pilot, lambda: not app.reply_worker.is_running, timeout=LOAD)
    return reply


async def test_first_run_onboarding_stores_the_profile(offline_settings):
    app = TutorApp(offline_settings, learner_id="ada")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen) and app.screen.query("#start"), LOAD)
        app.screen.query_one("#name", Input).value = "Ada"
        app.screen.query_one("#goals", Input).value = "understand attention"
        app.screen.query_one("#experience", Input).value = "some numpy"
        app.screen.query_one("#start", Button).press()
        await wait_until(pilot, lambda: any("Welcome, Ada" in n for n in notes(app)))
        assert app.focused is app.query_one("#prompt")
    profile = open_store(offline_settings).get_profile("ada")
    assert profile["name"] == "Ada" and profile["goals"] == "understand attention"
    assert profile["learning_style"] == "examples first" and profile["python_fluency"] == "intermediate"


async def test_a_returning_learner_sees_where_we_left_off_and_next_steps(offline_settings):
    store = seed_profile(offline_settings)
    store.save_summary("ada", 2, "lesson 2; last topics: cosine vs dot product", ["Compare bow and tfidf at k=5"])
    app = TutorApp(offline_settings, learner_id="ada")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("Where we left off" in n for n in notes(app)), LOAD)
        opening = next(n for n in notes(app) if "Where we left off" in n)
        assert "Welcome back, Ada" in opening and "cosine vs dot product" in opening
        assert "Compare bow and tfidf at k=5" in opening
        assert not isinstance(app.screen, OnboardingScreen)


async def test_an_offline_reply_streams_with_citations_that_open_the_lesson_section(offline_settings, small_course):
    seed_profile(offline_settings)
    app = TutorApp(offline_settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        reply = await ask(app, pilot, "what is byte pair encoding and why does it merge frequent pairs?")
        assert reply.body.source.strip() and reply.citations
        assert "offline" in app.query_one("#status", StatusBar).text
        citations = reply.query_one(".citations", OptionList)
        citations.focus()
        citations.highlighted = 0
        await pilot.press("enter")
        panel = app.query_one("#section-panel")
        await wait_until(pilot, lambda: panel.has_class("open") and panel.query("#section-text"))
        text = panel.query_one("#section-text", Markdown).source
        cited = reply.citations[0]
        lines = (small_course / cited["file"]).read_text().splitlines()[cited["lines"][0] - 1: cited["lines"][1]]
        assert cited["file"] in text
        assert next(line for line in lines if line.strip()).strip() in text


async def test_a_model_reply_streams_and_its_reasoning_is_hidden(course_settings, replay_file):
    path = replay_file({"content": "Tokens are **subword** units; count them with the tokenizer.",
                        "reasoning": "The learner asks about BPE; keep it short."})
    settings = course_settings(model=f"replay:{path}")
    seed_profile(settings)
    app = TutorApp(settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        assert f"model: replay:{path}" in app.query_one("#status", StatusBar).text
        reply = await ask(app, pilot, "what is a token?")
        assert "**subword** units" in reply.body.source
        box = reply.query_one(".reasoning")
        assert box.display and box.collapsed
        assert "keep it short" in str(reply.query_one(".reasoning-text").render())


async def test_a_complying_model_is_rewritten_and_the_screen_shows_the_guarded_reply(course_settings, replay_file):
    solution = "Sure:\n```python\n" + "\n".join(f"merges_{i} = pairs[{i}] * 2" for i in range(30)) + "\n```"
    settings = course_settings(model=f"replay:{replay_file({'content': solution})}")
    seed_profile(settings)
    app = TutorApp(settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        reply = await ask(app, pilot, "explain how BPE training works")
        assert "merges_29" not in reply.body.source
        assert reply.body.source.strip()
    events = open_store(settings).contract_events("ada")
    assert events, "the rewrite was recorded as a contract event"


async def test_a_model_that_cannot_be_built_says_so_and_replies_from_the_course(course_settings, tmp_path):
    settings = course_settings(model=f"replay:{tmp_path / 'missing.jsonl'}")
    seed_profile(settings)
    app = TutorApp(settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        assert "not available" in app.query_one("#status", StatusBar).text
        reply = await ask(app, pilot, "what is byte pair encoding?")
        assert "not available" in reply.body.source


async def test_switching_lesson_switches_the_thread_and_the_sidebar_status(offline_settings):
    seed_profile(offline_settings)
    app = TutorApp(offline_settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        lessons = app.query_one("#lessons", LessonList)
        await ask(app, pilot, "what is byte pair encoding?")
        await wait_until(pilot, lambda: lessons.status_of(1) == "in_progress")
        assert lessons.status_of(2) == "not_started"
        lessons.focus()
        lessons.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.backend.lesson == 2 and any("Lesson 2:" in n for n in notes(app)))
        assert not app.query(Reply)  # lesson 1's conversation left the screen
        assert app.backend.session.lesson == 2
        await ask(app, pilot, "what does cosine similarity measure?")
        await wait_until(pilot, lambda: lessons.status_of(2) == "in_progress")
        assert str(lessons.get_option_at_index(1).prompt).startswith("◐")
        lessons.focus()
        lessons.highlighted = 0
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.backend.lesson == 1 and app.query(".history-reply"))
        assert any("byte pair encoding" in str(q.render()) for q in app.query(".question"))


async def test_quitting_saves_where_we_left_off(offline_settings):
    store = seed_profile(offline_settings)
    app = TutorApp(offline_settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        await ask(app, pilot, "what is byte pair encoding?")
        await pilot.press("ctrl+q")
    summary = store.latest_summary("ada")
    assert summary is not None and summary["lesson"] == 1 and summary["where_left_off"]


async def test_a_turn_while_the_database_is_away_is_kept_and_the_chat_says_so(offline_settings, monkeypatch, tmp_path):
    import sqlalchemy

    seed_profile(offline_settings)
    app = TutorApp(offline_settings, learner_id="ada", lesson=1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, LOAD)
        store = app.backend.store
        broken = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/no/such/folder/progress.db")
        with monkeypatch.context() as patch:  # the progress DB cannot be opened for writing
            patch.setattr(store, "_writer", broken.execution_options(sqlite_write=True))
            reply = await ask(app, pilot, "what is byte pair encoding?")
        assert "This turn was not saved to the progress database (unavailable); it is kept on this machine" \
            in reply.text
        assert [t["message"] for t in store.recent_turns("ada")] == []
        later = await ask(app, pilot, "and why merge the most frequent pair?")
        assert "are now in it" in later.text
    assert [t["message"] for t in open_store(offline_settings).recent_turns("ada")] == [
        "what is byte pair encoding?", "and why merge the most frequent pair?"]
