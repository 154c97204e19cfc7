"""Results tables that the code displays, so that numbers never live in the prose.

A notebook's markdown cannot show a number that the code computes in every front end
(JupyterLab with jupyterlab-myst, the built book, GitHub, Colab): ``{glue}`` roles are
book-only. A :class:`Table` is displayed by a code cell instead. It has a Markdown form,
which JupyterLab and the book render as a table, and a plain-text form for consoles and
for front ends that show only text.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["Table", "show_table", "glue"]


def _cell(value: object) -> str:
    return str(value).replace("|", r"\|").replace("\n", " ")


class Table:
    """A small table of results.

    Args:
        header: column titles, e.g. ``("Method", "Relative L2 error")``.
        rows: one sequence per row, each as long as ``header``; values are shown with
            ``str``, so format numbers before passing them (``f"{err:.1e}"``).
        title: optional line shown above the table.
    """

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[object]],
                 title: str | None = None):
        if isinstance(header, str) or len(header) == 0:
            raise ValueError(f"header must be a non-empty sequence of column titles, "
                             f"got {header!r}")
        self.header = [_cell(h) for h in header]
        self.rows = []
        for k, row in enumerate(rows):
            if isinstance(row, str) or len(row) != len(self.header):
                raise ValueError(f"rows[{k}] must have {len(self.header)} values (one per "
                                 f"header column), got {row!r}")
            self.rows.append([_cell(v) for v in row])
        self.title = title

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        table = [self.header, *self.rows]
        widths = [max(len(row[j]) for row in table) for j in range(len(self.header))]
        lines = [self.title] if self.title else []
        for k, row in enumerate(table):
            lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def show_table(header: Sequence[str], rows: Sequence[Sequence[object]],
               title: str | None = None) -> None:
    """Display a :class:`Table` in the notebook, or print its text form outside IPython."""
    table = Table(header, rows, title)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with every Jupyter kernel
        print(repr(table))
        return
    if get_ipython() is None:
        print(repr(table))
    else:
        display(table)


def glue(name: str, value: object, display: bool = False) -> None:
    """Record ``value`` under ``name`` for the book's results page (``myst_nb.glue``).

    Glued values feed book-only pages (``summary.md``) and ``make bench``; notebook prose
    never shows them. Where myst-nb is not installed (Colab, a bare Python set-up) this
    does nothing, so that a notebook runs everywhere.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=display)
