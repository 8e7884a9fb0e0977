"""The student's skills in the app: the skills screen, and practice aimed at the weakest.

Both trace the student's whole history (tutor.standing.student_mastery) when asked,
from the lessons loaded in full (a step's skills are in its lesson), so neither can be
had in the moment before the lessons have loaded: the student is told to try again.
ChainTutorApp takes this as a base class, as it takes NetworkFlow.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from tutor.app.shelf import Shelf
    from tutor.progress import ProgressStore
    from tutor.progress.tracing import SkillState

    Then = Callable[[dict[str, SkillState]], None]


class SkillsTraced(Message):
    """Posted by the thread that traced the student's skills."""

    def __init__(self, job: int, states: dict[str, SkillState], then: Then,
                 asked_on: Screen) -> None:
        super().__init__()
        self.job = job
        self.states = states
        self.then = then
        self.asked_on = asked_on  # the screen on top when asked: on it still, or dropped


class SkillsFlow:
    """The skills screen and `practice --weakest` inside the app, for ChainTutorApp.

    A history is read whole to be traced (0.2 s for 20,000 answers on SQLite, nearly
    all of it the read), so the tracing runs in a thread and its result is posted back;
    one the student has moved on from (another screen on top, or a later ask) is
    dropped. Handlers are found by their names, as NetworkFlow's are."""

    # Set by the app (ChainTutorApp.__init__); the rest is the App's own.
    shelf: Shelf
    store: ProgressStore
    new_seed: Callable[[], int]
    network_note: str | None  # NetworkFlow's: said when the network being made opens
    skills_job: int = 0  # the latest ask; an earlier one's result is dropped

    def trace_skills(self, then: Then) -> None:
        """Every skill's state, in SKILLS' order, traced in a thread and handed to
        ``then`` if the screen on top now is still on top; nothing (the student told
        why) while the lessons are loading or when the parameters file cannot be used."""
        if self.shelf.catalog is None:
            self.notify("Your skills are traced from the lessons, which are still loading: "
                        "try again in a moment.", title="Skills", markup=False)
            return
        from tutor.progress.skill_params import SkillParamsError, chosen_skill_params

        try:
            params = chosen_skill_params()  # $CHAIN_TUTOR_SKILL_PARAMS, or the default
        except SkillParamsError as error:
            self.notify(str(error), title="Skills", severity="error", markup=False)
            return
        self.skills_job += 1
        lessons = [*self.shelf.catalog.lessons, *self.shelf.networks.values()]
        self.run_worker(partial(self.trace_skills_work, self.skills_job, lessons, params,
                                then, self.screen), thread=True, exit_on_error=False)

    def trace_skills_work(self, job: int, lessons, params, then: Then,
                          asked_on: Screen) -> None:
        from tutor.standing import student_mastery

        states = student_mastery(self.store, lessons, params)
        self.post_message(SkillsTraced(job, states, then, asked_on))

    def on_skills_traced(self, message: SkillsTraced) -> None:
        if message.job == self.skills_job and self.screen is message.asked_on:
            message.then(message.states)

    def open_skills(self) -> None:
        self.trace_skills(self.show_skills)

    def show_skills(self, states: dict[str, SkillState]) -> None:
        from tutor.app.screens.skills import SkillsScreen

        self.push_screen(SkillsScreen(states, self))

    def practise_weakest(self) -> None:
        """Draw a random network with a step of the weakest skill and open it, saying
        which skill it is for (as `chain-tutor practice --weakest` does)."""
        self.trace_skills(self.practise_for)

    def practise_for(self, states: dict[str, SkillState]) -> None:
        from tutor.networks.drawn import (
            SKILL_TRIES,
            UNDRAWN_SKILLS,
            network_for_skill,
            random_network,
        )
        from tutor.standing import weakest_skill

        target = weakest_skill(states, set(states) - UNDRAWN_SKILLS)
        start = self.new_seed()
        seed = None if target is None else network_for_skill(target.skill, start)
        if target is None or seed is None:
            self.notify(f"No random network from {start} to {start + SKILL_TRIES - 1} "
                        "exercises it: try again.", title="Practise", severity="warning",
                        markup=False)
            return
        self.network_note = f"Practising {target.words()}: random network {seed}."
        self.open_network(random_network(seed))

    # The app's own (Textual's App, and NetworkFlow), named here for the type checker.
    if TYPE_CHECKING:
        screen: Screen

        def notify(self, message: str, **options) -> None: ...

        def push_screen(self, screen, callback=None): ...

        def run_worker(self, work, **options): ...

        def post_message(self, message: Message) -> bool: ...

        def open_network(self, text: str) -> None: ...
