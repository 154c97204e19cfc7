"""Which students' own code is most alike (``make similarity SUBMISSIONS=dir``).

For each assignment, every pair of students is compared on their **own code** only: the
lines of their code cells that are not in the handed-out notebook (the lecture's cells,
the given code around each answer, the set-up and hand-in cells are left out). The
comparison is copydetect's (winnowed fingerprints of the tokenised code, so renamed
variables and changed comments do not hide a copy): for each pair, the share of each
student's code that also occurs in the other's. The report ranks the pairs by the
smaller of the two shares (a student who copied a few lines into much code of their own
is not ranked above two who share everything), and shows the most similar pairs with
their matching lines marked side by side.

It reads the notebooks as text; nothing of them runs. Alike code is a reason to look,
not a verdict: short answers to the same question can be alike by chance.

Writes ``GRADES/similarity/ASSIGNMENT.html`` (the report) and ``ASSIGNMENT.csv`` (every
pair, most similar first).
"""

from __future__ import annotations

import argparse
import html
import io
import itertools
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from course.paths import GRADES
from course.schedule import term_due
from grading import gradebook, handin
from grading.collect import collect, read_roster
from grading.grader import handed_out_notebook, handed_out_path

K, WINDOW = 10, 4  # tokens per fingerprint and winnowing window: answers here are short


@dataclass
class Pair:
    a: str
    b: str
    share_a: float  # of a's own code, the part also in b's
    share_b: float
    slices_a: list[tuple[int, int]]
    slices_b: list[tuple[int, int]]

    @property
    def score(self) -> float:
        return min(self.share_a, self.share_b)


def own_code(nb: dict, handed_out: dict | None) -> str:
    """The lines of the notebook's code cells that the handed-out notebook does not have."""
    given = set()
    for cell in (handed_out or {}).get("cells", []):
        if cell.get("cell_type") == "code":
            given |= {line.strip() for line in handin.source(cell).splitlines()}
    lines = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            lines += [line for line in handin.source(cell).splitlines()
                      if line.strip() and line.strip() not in given
                      and not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines) + "\n"


def compare(codes: dict[str, str]) -> list[Pair]:
    """Every pair of students, most similar first."""
    from copydetect import CodeFingerprint, compare_files

    prints = {}
    for who, code in codes.items():
        try:
            prints[who] = CodeFingerprint(f"{who}.py", K, WINDOW, fp=io.StringIO(code))
        except Exception:  # noqa: BLE001 - code too short to fingerprint: nothing to compare
            continue
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        if not prints[a].hashes or not prints[b].hashes:
            continue
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        pairs.append(Pair(a, b, float(share_a), float(share_b),
                          [tuple(map(int, s)) for s in zip(*slices_a)],
                          [tuple(map(int, s)) for s in zip(*slices_b)]))
    return sorted(pairs, key=lambda p: -p.score)


def _marked(code: str, slices: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(slices):
        out += [html.escape(code[last:start]), f"<mark>{html.escape(code[start:end])}</mark>"]
        last = max(last, end)
    return "".join(out) + html.escape(code[last:])


def report(assignment: str, codes: dict[str, str], pairs: list[Pair], shown: int = 10) -> str:
    rows = "".join(f"<tr><td>{i}</td><td>{html.escape(p.a)}</td><td>{html.escape(p.b)}</td>"
                   f"<td>{p.share_a:.0%}</td><td>{p.share_b:.0%}</td></tr>"
                   for i, p in enumerate(pairs[:shown], 1))
    sides = "".join(
        f"<h2>{i}. {html.escape(p.a)} and {html.escape(p.b)}: {p.score:.0%}</h2>"
        f"<table class='side'><tr><th>{html.escape(p.a)} ({p.share_a:.0%} also in the other)"
        f"</th><th>{html.escape(p.b)} ({p.share_b:.0%})</th></tr><tr>"
        f"<td><pre>{_marked(codes[p.a], p.slices_a)}</pre></td>"
        f"<td><pre>{_marked(codes[p.b], p.slices_b)}</pre></td></tr></table>"
        for i, p in enumerate(pairs[:shown], 1))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Similarity: "
            f"{html.escape(assignment)}</title><style>body{{font-family:sans-serif}}"
            "table.side td{vertical-align:top;width:50%}pre{white-space:pre-wrap}"
            "mark{background:#fd7}</style></head><body>"
            f"<h1>{html.escape(assignment)}: the most similar pairs of students' own code</h1>"
            f"<p>{len(codes)} students, {len(pairs)} pairs compared. Marked: code that also "
            "occurs in the other's (after renaming variables). A reason to look, not a "
            "verdict.</p><table><tr><th>rank</th><th>student</th><th>student</th>"
            f"<th>share of the first</th><th>share of the second</th></tr>{rows}</table>"
            f"{sides}</body></html>")


def main(argv=None) -> int:
    os.umask(0o077)  # the report quotes students' code: the grader's only
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--roster", type=Path)
    parser.add_argument("--grades", type=Path, default=GRADES)
    args = parser.parse_args(argv)
    # the file that grading counts: the latest before the due date
    found = collect(args.submissions, read_roster(args.roster) if args.roster else None,
                    term_due())
    missing = sorted({h.assignment for h in found.chosen if h.assignment
                      and not handed_out_path(h.assignment).is_file()})
    if missing:  # without it, the lecture's own code would count as the students'
        parser.error(f"the handed-out notebooks of {missing} are not built: run `make "
                     "assignments` (or `make book`) first; the report compares only the code "
                     "students wrote themselves")
    by_assignment: dict[str, dict[str, str]] = {}
    for hand_in in found.chosen:
        try:
            nb = handin.read(hand_in.path).nb
        except handin.NotGradable as why:  # listed, never the end of the report
            found.problems.append(f"{hand_in.path.name}: {why}")
            continue
        if hand_in.assignment:
            by_assignment.setdefault(hand_in.assignment, {})[hand_in.student.key] = own_code(
                nb, handed_out_notebook(hand_in.assignment))
    out = args.grades / "similarity"
    out.mkdir(parents=True, exist_ok=True)
    for assignment, codes in sorted(by_assignment.items()):
        pairs = compare(codes)
        (out / f"{assignment}.html").write_text(report(assignment, codes, pairs))
        gradebook.write_csv(  # students' ids from outside: neutralised against formulas
            out / f"{assignment}.csv", ["student_a", "student_b", "share_a", "share_b"],
            [{"student_a": p.a, "student_b": p.b, "share_a": f"{p.share_a:.3f}",
              "share_b": f"{p.share_b:.3f}"} for p in pairs])
        top = ", ".join(f"{p.a}+{p.b} {p.score:.0%}" for p in pairs[:3])
        print(f"{assignment}: {len(codes)} students; most similar: {top or 'none'}; "
              f"report {out / f'{assignment}.html'}")
    print(json.dumps({"not compared": found.problems}) if found.problems else "", end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
