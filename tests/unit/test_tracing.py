"""Knowledge tracing (tutor.progress.tracing) against BKT sequences worked by hand, and the
parameters file (tutor.progress.skill_params).

With OATutor's parameters (prior = learn = slip = guess = 0.1), worked exactly:

    right from 0.1:  post = 0.09 / (0.09 + 0.9·0.1) = 1/2,   p = 1/2 + 1/2·0.1 = 11/20
    right again:     post = 0.495 / 0.54 = 11/12,            p = 37/40
    right again:                                              p = 1111/1120
    wrong from 0.1:  post = 0.01 / (0.01 + 0.9·0.9) = 1/82,  p = 1/82 + 81/82·0.1 = 91/820
    right from 91/820:                                        p = 991/1720
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from tutor.lessons.skills import SKILLS
from tutor.progress.records import Attempt, Reveal
from tutor.progress.skill_params import (
    SKILL_PARAMS_ENV,
    SkillParams,
    SkillParamsError,
    chosen_skill_params,
    read_skill_params,
)
from tutor.progress.tracing import (
    DEFAULT,
    MASTERY,
    Params,
    SkillState,
    Tracer,
    observations,
    start,
    trace,
    update,
)

RIGHT_1, RIGHT_2, RIGHT_3 = 11 / 20, 37 / 40, 1111 / 1120
WRONG_1, WRONG_THEN_RIGHT = 91 / 820, 991 / 1720

# A lesson "L": a: linear-jacobian; b: elementwise-jacobian and layout; c: chain-product.
STEPS = {("L", "a"): ("linear-jacobian",),
         ("L", "b"): ("elementwise-jacobian", "layout"),
         ("L", "c"): ("chain-product",),
         ("L", "none"): ()}


def answer(step: str, seed: int, verdict: str, at: float, *diagnosis: str,
           lesson: str = "L") -> Attempt:
    return Attempt(lesson, step, seed, "x", verdict, diagnosis, 5.0, at)


def test_oatutor_defaults_and_one_update_each_way():
    assert DEFAULT == Params(0.1, 0.1, 0.1, 0.1) and MASTERY == 0.95
    assert update(start(DEFAULT), True, DEFAULT) == pytest.approx(SkillState(RIGHT_1, 1))
    assert update(start(DEFAULT), False, DEFAULT) == pytest.approx(SkillState(WRONG_1, 1))
    state = start(DEFAULT)
    for expected in (RIGHT_1, RIGHT_2, RIGHT_3):
        state = update(state, True, DEFAULT)
        assert state.mastery == pytest.approx(expected)
    assert state.observations == 3


def test_first_counted_answer_of_each_variant_in_time_order():
    events = [
        answer("a", 1, "invalid", 1),  # costs nothing, says nothing
        answer("a", 1, "correct", 2),  # linear-jacobian: right → 11/20
        answer("a", 1, "incorrect", 3),  # not the first: passed over
        answer("b", 1, "incorrect", 4, "transpose"),  # blames layout only → 91/820
        answer("b", 1, "correct", 5),  # not the first
        Reveal("L", "c", 1, 6),  # shown before any answer: chain-product wrong → 91/820
        answer("c", 1, "correct", 7),  # typed in after the reveal: passed over
        answer("a", 2, "correct", 8),  # a new variant: linear-jacobian right → 37/40
        answer("b", 2, "correct", 9),  # both skills right: 11/20, and 991/1720
        Reveal("L", "a", 2, 10),  # after a counted answer of its variant: nothing
        answer("b", 3, "incorrect", 11, "precedence"),  # a slip of writing: no skill
        answer("b", 3, "correct", 12),  # not the first of variant 3
        answer("x", 1, "correct", 13, lesson="not-installed"),  # unknown step: skipped
        answer("none", 1, "incorrect", 14),  # a step with no skills
    ]
    expected = {
        "linear-jacobian": (RIGHT_2, 2),
        "elementwise-jacobian": (RIGHT_1, 1),
        "layout": (WRONG_THEN_RIGHT, 2),
        "chain-product": (WRONG_1, 1),
    }
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)  # the order given does not matter: time does
    for given in (events, shuffled):
        states = trace(given, STEPS)
        assert set(states) == set(expected)
        for skill, (mastery, seen) in expected.items():
            assert states[skill].mastery == pytest.approx(mastery), skill
            assert states[skill].observations == seen, skill


def test_a_diagnosis_that_names_no_skill_blames_every_skill_of_the_step():
    states = trace([answer("b", 1, "incorrect", 1, "sign"),
                    answer("b", 2, "incorrect", 2)], STEPS)
    for skill in ("elementwise-jacobian", "layout"):
        assert states[skill].observations == 2
        assert states[skill].mastery == pytest.approx(0.11231208659)  # wrong twice, by hand
    # σ for σ′ blames the elementwise Jacobian, not the layout
    states = trace([answer("b", 1, "incorrect", 1, "not-differentiated")], STEPS)
    assert states["elementwise-jacobian"] == pytest.approx(SkillState(WRONG_1, 1))
    assert "layout" not in states


def test_a_reveal_of_another_variant_or_of_no_variant_is_its_own_observation():
    states = trace([answer("a", 1, "correct", 1), Reveal("L", "a", None, 2),
                    answer("a", 2, "correct", 3)], STEPS)
    state = update(update(update(start(DEFAULT), True, DEFAULT), False, DEFAULT), True,
                   DEFAULT)
    assert states["linear-jacobian"] == pytest.approx(state)


def test_parameters_per_skill_and_listed_skills_at_their_prior():
    layout = Params(prior=0.5, learn=0.2, slip=0.2, guess=0.25)
    table = SkillParams(DEFAULT, {"layout": layout})
    states = trace([answer("b", 1, "correct", 1)], STEPS, table, skills=SKILLS)
    assert list(states)[: len(SKILLS)] == list(SKILLS)
    # by hand: post = 0.4 / (0.4 + 0.5·0.25) = 32/42, p = 32/42 + 10/42·0.2 = 34/42
    assert states["layout"].mastery == pytest.approx(34 / 42)
    assert states["elementwise-jacobian"].mastery == pytest.approx(RIGHT_1)
    assert states["batch-sum"] == SkillState(0.1, 0)


def exact(p: Fraction, correct: bool, prior_learn_slip_guess: tuple) -> Fraction:
    """The textbook update, in fractions: the reference the fast loop is held to."""
    _, learn, slip, guess = (Fraction(x) for x in prior_learn_slip_guess)
    if correct:
        post = p * (1 - slip) / (p * (1 - slip) + (1 - p) * guess)
    else:
        post = p * slip / (p * slip + (1 - p) * (1 - guess))
    return post + (1 - post) * learn


def test_the_one_pass_trace_is_the_textbook_update_over_the_observations():
    rng = random.Random(11)
    names = list(SKILLS)
    steps = {(f"l{i}", f"s{j}"): tuple(rng.sample(names, rng.randint(0, 3)))
             for i in range(4) for j in range(4)}
    params = SkillParams(Params(0.2, 0.15, 0.1, 0.2),
                         {"layout": Params(0.3, 0.05, 0.25, 0.1)})
    events = []
    for at in range(600):
        lesson, step = rng.choice(list(steps))
        if rng.random() < 0.05:
            events.append(Reveal(lesson, step, rng.randint(0, 5), float(at)))
            continue
        verdict = rng.choice(("correct", "incorrect", "incorrect", "invalid"))
        diagnosis = rng.choice(((), ("transpose",), ("precedence",), ("missing-factor",)))
        events.append(Attempt(lesson, step, rng.randint(0, 5), "x", verdict, diagnosis, 1.0,
                              float(at)))
    expected = {skill: Fraction(params(skill).prior) for skill in names}
    counts = dict.fromkeys(names, 0)
    for seen, concerned in observations(events, lambda *pair: steps.get(pair)):
        for skill in concerned:
            expected[skill] = exact(expected[skill], seen.correct, params(skill))
            counts[skill] += 1
    states = trace(events, steps, params, skills=names)
    assert sum(counts.values()) > 100
    for skill in names:
        assert states[skill].mastery == pytest.approx(float(expected[skill]), rel=1e-12)
        assert states[skill].observations == counts[skill]


def test_a_tracer_takes_answers_one_at_a_time_as_the_history_would():
    history = [answer("a", 1, "correct", 1), answer("b", 1, "incorrect", 2, "transpose")]
    tracer = Tracer(STEPS, skills=SKILLS)
    tracer.add_all(history)
    assert tracer.add(answer("b", 1, "correct", 3)) == ()  # not the first: nothing moves
    assert tracer.add(answer("c", 1, "invalid", 4)) == ()
    assert tracer.add(Reveal("L", "c", 1, 5)) == ("chain-product",)
    assert tracer.add(answer("b", 2, "correct", 6)) == ("elementwise-jacobian", "layout")
    assert tracer.add(answer("b", 3, "incorrect", 7, "precedence")) == ()
    everything = [*history, answer("b", 1, "correct", 3), answer("c", 1, "invalid", 4),
                  Reveal("L", "c", 1, 5), answer("b", 2, "correct", 6),
                  answer("b", 3, "incorrect", 7, "precedence")]
    assert tracer.states() == trace(everything, STEPS, skills=SKILLS)
    assert tracer.states()["layout"] == pytest.approx(SkillState(WRONG_THEN_RIGHT, 2))


def test_a_worked_example_is_learning_not_evidence_in_the_trace_and_the_tracer():
    """A step shown as a worked example (a studied reveal): each skill moves by learn
    alone, 0.1 + 0.9·0.1 = 0.19, with no observation; its variant's answers (typed in
    from the example) are passed over; the next variant's first answer counts."""
    events = [Reveal("L", "b", 1, 1, True), answer("b", 1, "correct", 2),
              answer("b", 2, "incorrect", 3, "transpose")]
    states = trace(events, STEPS)
    assert states["elementwise-jacobian"] == pytest.approx(SkillState(0.19, 0))
    # layout: from 0.19, wrong: 0.019 / (0.019 + 0.81·0.9) = 19/748, p = 19/748 + ·0.1
    assert states["layout"] == pytest.approx(SkillState(19 / 748 + (729 / 748) * 0.1, 1))
    tracer = Tracer(STEPS)
    assert tracer.add(events[0]) == ("elementwise-jacobian", "layout")
    assert tracer.add(events[1]) == ()
    assert tracer.add(events[2]) == ("layout",)
    assert tracer.states() == pytest.approx(states)


# -- the parameters file ------------------------------------------------------------------


def test_a_parameters_file_in_toml_and_in_json(tmp_path):
    toml = tmp_path / "params.toml"
    toml.write_text("[default]\nlearn = 0.2\n\n[skills.layout]\nslip = 0.2\nguess = 0.05\n")
    json_file = tmp_path / "params.json"
    json_file.write_text('{"default": {"learn": 0.2},'
                         ' "skills": {"layout": {"slip": 0.2, "guess": 0.05}}}')
    for path in (toml, json_file):
        table = read_skill_params(path)
        assert table("layout") == Params(prior=0.1, learn=0.2, slip=0.2, guess=0.05)
        assert table("batch-sum") == Params(prior=0.1, learn=0.2, slip=0.1, guess=0.1)


@pytest.mark.parametrize(("text", "said"), [
    ("[default]\nprior = 1", "[default]: prior = 1 is not a probability strictly between"),
    ("[default]\nslip = 0", "slip = 0 is not a probability"),
    ("[default]\nguess = true", "guess = true is not a probability"),
    ("[default]\nlearn = 'high'", 'learn = "high" is not a probability'),
    ("[default]\nslip = 0.6\nguess = 0.5", "slip + guess = 1.1, must be below 1"),
    ("[skills.layout]\nslip = 0.95", "[skills.layout]: slip + guess = 1.05"),
    ("[skills.lay-out]\nslip = 0.2", "'lay-out' is not a skill; the skills are: scalar-"),
    ("[default]\npriors = 0.2", "unknown key 'priors' (the keys are prior, learn, slip,"),
    ("prior = 0.2", "'prior' is neither [default] nor [skills.NAME]"),
    ("[default\n", "not valid TOML"),
])
def test_a_wrong_parameters_file_is_one_line_that_says_what_and_where(tmp_path, text, said):
    path = tmp_path / "params.toml"
    path.write_text(text)
    with pytest.raises(SkillParamsError) as raised:
        read_skill_params(path)
    message = str(raised.value)
    assert said in message and "\n" not in message
    assert message.startswith(str(path))


def test_the_file_from_the_flag_then_the_environment_then_the_default(tmp_path, monkeypatch):
    flag, env = tmp_path / "flag.toml", tmp_path / "env.toml"
    flag.write_text("[default]\nprior = 0.3\n")
    env.write_text("[default]\nprior = 0.4\n")
    monkeypatch.delenv(SKILL_PARAMS_ENV, raising=False)
    assert chosen_skill_params() == SkillParams()
    monkeypatch.setenv(SKILL_PARAMS_ENV, str(env))
    assert chosen_skill_params().default.prior == 0.4
    assert chosen_skill_params(flag).default.prior == 0.3
    monkeypatch.setenv(SKILL_PARAMS_ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(SkillParamsError, match="cannot read .*missing.toml"):
        chosen_skill_params()
