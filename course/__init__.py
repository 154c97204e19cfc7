"""The course's core: what every part of the course shares, defined once.

- :mod:`course.paths`: the repository root and the folders under it;
- :mod:`course.config`: ``_config.yml``, parsed once, validated, with its defaults;
- :mod:`course.schedule`: the term's dates (due, solutions released) and today's date;
- :mod:`course.notebooks`: the course notebooks and their graded questions;
- :mod:`course.markup`: the markup inside a notebook (cell tags, otter's question and
  solution blocks, the Colab set-up cell, outputs removed);
- :mod:`course.branches`: the names of the branches the course publishes.

The build and publishing scripts (``scripts/``), the grader (``grading/``) and the
book's extension (``_ext/``) import it; it imports none of them, only the student package
``utils`` (for the lecture branch's name, which the students' copy needs too).
docs/architecture.md draws the whole picture.
"""
