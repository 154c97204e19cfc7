"""The term's release schedule (``scripts/release.py``, ``course:`` in ``_config.yml``):
what a date makes public, and the safe default for what has no date."""

from __future__ import annotations

import datetime as dt
import re

import nbformat
import pytest

from course.config import public_repository
from course.markup import questions
from course.schedule import Assignment, schedule, today
from scripts.release import public_notebook, status_lines
from tests.test_publishing import ROOT

NB = ROOT / "notebooks" / "04_pinn_inverse.ipynb"
PLAN = {"04_pinn_inverse": Assignment("04_pinn_inverse", dt.date(2027, 2, 8),
                                      dt.date(2027, 2, 15))}


def _graded_ids(nb) -> set[str]:
    return {c.id for q in questions(nb) for c in q["solution"]}


def test_the_repository_schedules_every_assignment():
    plan = schedule()
    assert sorted(plan) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert all(a.due and a.solutions and a.solutions >= a.due for a in plan.values())


def test_before_the_date_graded_solutions_are_replaced_by_a_note():
    nb = nbformat.read(NB, as_version=4)
    public = public_notebook(nb, dt.date(2027, 2, 14), PLAN, "04_pinn_inverse")
    ids = {c.id for c in public.cells}
    assert not ids & _graded_ids(nb)
    notes = [c.source for c in public.cells if "solution-withheld" in c.metadata.get("tags", [])]
    assert len(notes) == 2 and all("15 February 2027" in n and "8 February 2027" in n
                                   for n in notes), notes
    prompts = [c.id for q in questions(nb) for c in q["prompt"]]
    assert set(prompts) <= ids  # the exercises stay


def test_from_the_date_on_they_are_public():
    nb = nbformat.read(NB, as_version=4)
    public = public_notebook(nb, dt.date(2027, 2, 15), PLAN, "04_pinn_inverse")
    assert _graded_ids(nb) <= {c.id for c in public.cells}
    assert not [c for c in public.cells if "solution-withheld" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("on", [dt.date(2026, 1, 1), dt.date(2099, 1, 1)])
def test_tests_and_markup_are_never_public(on):
    nb = nbformat.read(NB, as_version=4)
    public = public_notebook(nb, on, PLAN, "04_pinn_inverse")
    assert not [c for c in public.cells if c.cell_type == "raw"]
    assert not [c for c in public.cells if "otter-test" in c.metadata.get("tags", [])]


def test_an_assignment_without_a_date_keeps_its_solutions_withheld():
    nb = nbformat.read(NB, as_version=4)
    for plan in ({}, {"04_pinn_inverse": Assignment("04_pinn_inverse", None, None)}):
        public = public_notebook(nb, dt.date(2099, 1, 1), plan, "04_pinn_inverse")
        assert not {c.id for c in public.cells} & _graded_ids(nb)
    config = {"course": {"assignments": {"04_pinn_inverse": {"due": "2027-02-08"}}}}
    assert schedule(config)["04_pinn_inverse"].solutions is None
    assert schedule({}) == {}


def test_ungraded_solutions_stay_whatever_the_date():
    nb = nbformat.read(NB, as_version=4)
    ungraded = {c.id for c in nb.cells if "solution" in c.metadata.get("tags", [])
                and c.id not in _graded_ids(nb)}
    assert ungraded
    public = public_notebook(nb, dt.date(2000, 1, 1), {}, "04_pinn_inverse")
    assert ungraded <= {c.id for c in public.cells}


@pytest.mark.parametrize("dates, words", [
    ({"due": "15.01.2027"}, "course.assignments.01_cnn.due must be a date written YYYY-MM-DD"),
    ({"solutions": "2027-02-30"}, "course.assignments.01_cnn.solutions must be a date"),
    ({"due": "2027-02-01", "solutions": "2027-01-01"}, "solutions (2027-01-01) before the due"),
    ({"released": "2027-01-01"}, "must be {due: YYYY-MM-DD, solutions: YYYY-MM-DD}"),
])
def test_a_bad_schedule_says_what_is_wrong(dates, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        schedule({"course": {"assignments": {"01_cnn": dates}}})


def test_an_unknown_assignment_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"course.assignments.01_cmn: no notebook .*01_cnn"):
        schedule({"course": {"assignments": {"01_cmn": {"due": "2027-01-01"}}}})


def test_today_can_be_set_for_the_tests_only(monkeypatch):
    monkeypatch.setenv("DL4PHYS_TODAY", "2027-02-15")
    assert today() == dt.date(2027, 2, 15)
    monkeypatch.setenv("DL4PHYS_TODAY", "tomorrow")
    with pytest.raises(ValueError, match="DL4PHYS_TODAY must be a date written YYYY-MM-DD"):
        today()
    monkeypatch.delenv("DL4PHYS_TODAY")
    assert today() == dt.datetime.now(dt.timezone.utc).date()


def test_the_status_names_every_graded_question():
    lines = status_lines(dt.date(2027, 2, 15), PLAN)
    assert len(lines) == 10
    (design,) = [line for line in lines if "inv_design" in line]
    assert "published (since 2027-02-15)" in design
    (latent,) = [line for line in lines if "ae_latent" in line]
    assert "withheld (no solutions date" in latent


def test_public_repository_setting():
    assert public_repository({"course": {"public_repository": "org/course-public"}}) == (
        "org/course-public")
    assert public_repository({}) == ""
    with pytest.raises(ValueError, match="course.public_repository must be ORG/NAME"):
        public_repository({"course": {"public_repository": "https://github.com/org/x"}})
