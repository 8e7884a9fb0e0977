"""The student's skills in the app: the skills screen, and practice aimed at the weakest.

Both trace the student's whole history (tutor.standing.student_mastery) when asked,
from the lessons loaded in full (a step's skills are in its lesson), so neither can be
had in the moment before the lessons have loaded: the student is told to try again.
ChainTutorApp takes this as a base class, as it takes NetworkFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tutor.app.shelf import Shelf
    from tutor.progress import ProgressStore
    from tutor.progress.tracing import SkillState


class SkillsFlow:
    """The skills screen and `practice --weakest` inside the app, for ChainTutorApp."""

    # Set by the app (ChainTutorApp.__init__); open_network and notify are the app's own.
    shelf: Shelf
    store: ProgressStore
    new_seed: Callable[[], int]
    network_note: str | None  # NetworkFlow's: said when the network being made opens

    def mastery(self) -> dict[str, SkillState] | None:
        """Every skill's state, in SKILLS' order; None (and the student told why) while
        the lessons are loading or when the parameters file cannot be used."""
        if self.shelf.catalog is None:
            self.notify("Your skills are traced from the lessons, which are still loading: "
                        "try again in a moment.", title="Skills", markup=False)
            return None
        from tutor.progress.skill_params import SkillParamsError, chosen_skill_params
        from tutor.standing import student_mastery

        try:
            params = chosen_skill_params()  # $CHAIN_TUTOR_SKILL_PARAMS, or the default
        except SkillParamsError as error:
            self.notify(str(error), title="Skills", severity="error", markup=False)
            return None
        lessons = [*self.shelf.catalog.lessons, *self.shelf.networks.values()]
        return student_mastery(self.store, lessons, params)

    def open_skills(self) -> None:
        states = self.mastery()
        if states is not None:
            from tutor.app.screens.skills import SkillsScreen

            self.push_screen(SkillsScreen(states, self))

    def practise_weakest(self) -> None:
        """Draw a random network with a step of the weakest skill and open it, saying
        which skill it is for (as `chain-tutor practice --weakest` does)."""
        states = self.mastery()
        if states is None:
            return
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
        def notify(self, message: str, **options) -> None: ...

        def push_screen(self, screen, callback=None): ...

        def open_network(self, text: str) -> None: ...
