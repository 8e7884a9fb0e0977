"""The skills in the app: bars a student reads at a glance, from the lessons (s) and a
lesson's summary, and practice aimed at the weakest skill from the picker.

The history (tests/unit/test_weakest.py works the numbers): the flagship's dh2_dz2
(elementwise-jacobian) wrong in its first variant, the first lesson's du_dx
(scalar-derivative) right in three: 91/820 ≈ 0.11 and 1111/1120 ≈ 0.99 (mastered).
"""

from __future__ import annotations

import time

from textual.widgets import OptionList
from tui_helpers import FLAGSHIP, settle, text_of

from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.loading import LoadingScreen
from tutor.app.screens.picker import WEAKEST, PickerScreen
from tutor.app.screens.skills import SkillsScreen
from tutor.app.screens.summary import SummaryScreen
from tutor.lessons.skills import SKILLS
from tutor.networks.drawn import network_for_skill
from tutor.progress import ProgressStore


def history(store: ProgressStore) -> None:
    store.record_attempt(FLAGSHIP, "dh2_dz2", 1, "h2", "incorrect", (), 5)
    for seed in range(3):
        store.record_attempt("scalar-chain-rule", "du_dx", seed, "3", "correct", (), 5)


def footer_keys(pilot) -> dict[str, str]:
    return {key: active.binding.description for key, active in pilot.app.active_bindings.items()
            if active.binding.show}


def bar_line(text: str, skill: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(skill + " "))


async def test_s_on_the_lessons_shows_every_skill_as_a_bar_and_esc_goes_back(make_app, store):
    history(store)
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert footer_keys(pilot)["s"] == "Skills"
        await pilot.press("s")
        await settle(pilot)  # traced in a thread
        assert isinstance(pilot.app.screen, SkillsScreen)
        bars = text_of(pilot, "#skills-bars")
        assert [line.split()[0] for line in bars.splitlines()] == list(SKILLS)
        assert bar_line(bars, "elementwise-jacobian").split() == [
            "elementwise-jacobian", "█░░░░░░░░░", "0.11", "1", "seen"]
        assert bar_line(bars, "scalar-derivative").split() == [
            "scalar-derivative", "██████████", "0.99", "mastered", "3", "seen"]
        assert bar_line(bars, "layout").split() == [
            "layout", "█░░░░░░░░░", "0.10", "not", "seen"]
        assert text_of(pilot, "#skills-weakest") == (
            "w practises elementwise-jacobian: a random network with a step that exercises it.")
        assert footer_keys(pilot)["w"] == "Practise weakest"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PickerScreen)


async def until_network_lesson(pilot, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not isinstance(pilot.app.screen, (IntroScreen, LessonScreen)):
        assert time.monotonic() < deadline, "the network's lesson never opened"
        await pilot.pause(0.1)
    await pilot.pause()


async def practise_weakest_opens_a_network_for_it(pilot, seed: int) -> None:
    await until_network_lesson(pilot)
    found = network_for_skill("elementwise-jacobian", seed)
    [lesson] = pilot.app.shelf.networks.values()
    assert lesson.title.startswith(f"Random network {found}:")
    assert any("elementwise-jacobian" in step.skills for step in lesson.steps)
    said = [notice.message for notice in pilot.app._notifications]
    assert (f"Practising your weakest skill, elementwise-jacobian (mastery 0.11): random "
            f"network {found}.") in said


async def test_the_picker_entry_opens_a_random_network_for_the_weakest_skill(make_app, store):
    history(store)
    app = make_app(warm_up=False, symbolic_budget=0.0, new_seed=lambda: 7)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        options = pilot.app.screen.query_one(OptionList)
        options.highlighted = [option.id for option in options.options].index(WEAKEST)
        await pilot.pause()
        assert "the one you know least" in text_of(pilot, "#picker-detail")
        await pilot.press("enter")
        await practise_weakest_opens_a_network_for_it(pilot, 7)


async def test_w_on_the_skills_screen_does_the_same(make_app, store):
    history(store)
    app = make_app(warm_up=False, symbolic_budget=0.0, new_seed=lambda: 300)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)  # traced in a thread
        await pilot.press("w")
        await practise_weakest_opens_a_network_for_it(pilot, 300)
        await pilot.press("escape")  # the lesson (or its intro) left: the lessons, not skills
        await pilot.pause()
        assert not any(isinstance(screen, (SkillsScreen, LoadingScreen))
                       for screen in pilot.app.screen_stack)


async def test_the_summary_shows_its_lessons_skills_and_s_opens_them_all(make_app, store,
                                                                         catalog):
    history(store)
    lesson = catalog.get(FLAGSHIP)
    store.set_seed(FLAGSHIP, 1)
    for step in lesson.steps:
        store.mark(FLAGSHIP, step.id, "solved")
    async with make_app(lesson_id=FLAGSHIP, seed=1, warm_up=False).run_test(
            size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("pagedown")  # every step done: on to the summary
        await settle(pilot)
        assert isinstance(pilot.app.screen, SummaryScreen)
        shown = text_of(pilot, "#summary-skills")
        assert shown.splitlines()[0] == "Your skills in this lesson  (s: all your skills)"
        # The flagship's skills, in SKILLS' order, and no other.
        assert [line.split()[0] for line in shown.splitlines()[1:]] == [
            "linear-jacobian", "elementwise-jacobian", "chain-product", "weight-gradient"]
        assert bar_line(shown, "elementwise-jacobian").split()[1:3] == ["█░░░░░░░░░", "0.11"]
        assert "s" not in footer_keys(pilot)  # its heading names the key: the footer is full
        await pilot.press("s")
        await settle(pilot)  # traced in a thread
        assert isinstance(pilot.app.screen, SkillsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SummaryScreen)


async def test_before_the_lessons_have_loaded_the_student_is_told_to_wait(make_app, store):
    app = make_app(warm_up=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.shelf.catalog = None  # as in the moment after the first paint
        await pilot.press("s")
        await settle(pilot)  # traced in a thread
        assert isinstance(pilot.app.screen, PickerScreen)
        assert any("still loading" in notice.message for notice in app._notifications)


async def test_a_tracing_the_student_has_moved_on_from_is_dropped(make_app, store):
    """Skills traced for a screen no longer on top, or for an earlier ask, open nothing."""
    from tutor.app.skills_flow import SkillsTraced

    app = make_app(warm_up=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = []
        picker = app.screen
        app.skills_job = 2
        app.on_skills_traced(SkillsTraced(1, {}, shown.append, picker))  # an earlier ask
        app.on_skills_traced(SkillsTraced(2, {}, shown.append, SkillsScreen({}, app)))
        assert shown == []
        app.on_skills_traced(SkillsTraced(2, {"layout": None}, shown.append, picker))
        assert shown == [{"layout": None}]
