"""`chain-tutor skills`: what the tutor believes you know, skill by skill, from your own
progress (tutor.progress.tracing), as bars or as JSON.

A step's skills come from its lesson: the catalog's, and your own networks' lessons
made again (without their checks: they passed them when saved). Answers to steps of a
lesson this tutor cannot find are left out, and the text says how many steps.
"""

from __future__ import annotations

import json
import sys

from tutor.exits import EXIT_INVALID
from tutor.markup import printable

BAR = 10  # cells of a skill's bar


def params_and_store(args):
    """The tracing's parameters (--skill-params, or the environment's) and the student's
    store, opened to read: a first run finds no progress, and makes no database for it.
    An exit status instead, the reason said, if either cannot be used."""
    from tutor.progress.opening import open_store
    from tutor.progress.skill_params import SkillParamsError, chosen_skill_params

    try:
        params = chosen_skill_params(args.skill_params)
    except SkillParamsError as error:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return EXIT_INVALID
    store = open_store(args.data_dir, args.database, create_later=True)
    if not store.enabled:
        print(f"chain-tutor: {store.notice}", file=sys.stderr)
        return EXIT_INVALID if store.left_alone else 1
    return params, store


def cmd_skills(args) -> int:
    opened = params_and_store(args)
    if isinstance(opened, int):
        return opened
    params, store = opened
    with store:
        attempts, reveals, networks = store.attempts(), store.reveals(), store.networks()
        if store.notice:  # moved aside, or a read that failed: what is shown is not all
            print(f"chain-tutor: {store.notice}", file=sys.stderr)
    from tutor.lessons.load import load_catalog
    from tutor.standing import known_step_skills

    steps = known_step_skills(load_catalog(args.lessons).lessons, [*attempts, *reveals],
                              networks)
    rows, unknown = mastery_rows(attempts, reveals, steps, params)
    if args.json:
        print(json.dumps(skills_json(rows, params, unknown), indent=2, ensure_ascii=False))
    else:
        print(skills_text(rows, params, unknown))
    return 0


def mastery_rows(attempts, reveals, steps, params) -> tuple[list[tuple], int]:
    """(skill, SkillState, Params) for every skill in SKILLS' order, and how many of
    the steps answered (or revealed) are unknown here."""
    from tutor.lessons.skills import SKILLS
    from tutor.progress.tracing import trace

    events = [*attempts, *reveals]
    states = trace(events, steps, params, skills=SKILLS)
    unknown = len({(event[0], event[1]) for event in events} - steps.keys())
    return [(skill, states[skill], params(skill)) for skill in SKILLS], unknown


def skills_json(rows, params, unknown: int) -> dict:
    from tutor.progress.tracing import MASTERY

    return {
        "skills": [{"skill": skill, "mastery": round(state.mastery, 4),
                    "observations": state.observations,
                    "params": dict(skill_params._asdict())}
                   for skill, state, skill_params in rows],
        "mastery_threshold": MASTERY,
        "params_file": params.source,
        "unknown_steps": unknown,
    }


def bar(mastery: float, cells: int = BAR) -> str:
    """``mastery`` (0 to 1) as a bar of ``cells``: "████████░░" for 0.82."""
    full = min(cells, max(0, round(mastery * cells)))
    return "█" * full + "░" * (cells - full)


def skills_text(rows, params, unknown: int) -> str:
    from tutor.progress.tracing import MASTERY

    width = max(len(skill) for skill, _, _ in rows)
    lines = ["What the tutor believes you know, skill by skill:", ""]
    for skill, state, _ in rows:
        seen = f"({state.observations} seen)" if state.observations else "(not seen yet)"
        mark = "mastered" if state.mastery >= MASTERY else ""
        lines.append(f"  {skill:<{width}}  {bar(state.mastery)}  {state.mastery:.2f}"
                     f"  {mark:<8}  {seen}")
    lines += [  # within 80 columns, as the bars
        "",
        "Each number is the tutor's estimate that you know the skill, from your first",
        "answer to each step of each variant (revealing it first counts as wrong);",
        f"from {MASTERY:.2f}, mastered.",
    ]
    if params.source is not None:
        lines.append(f"Parameters from {printable(params.source)}.")
    if unknown:
        lines.append(f"{unknown} step{'' if unknown == 1 else 's'} of lessons not found here "
                     "left out.")
    return "\n".join(lines)
