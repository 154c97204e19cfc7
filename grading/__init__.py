"""Grading submitted notebooks: ``make grade`` (``batch.py``).

The folder shows the separation:

- ``sandbox.py``: the confinement layer (bubblewrap, caps on memory, processes, CPU, time).
- ``inside/``: the only grading code that enters a student's sandbox: it runs the notebook
  and turns each graded question's answer into arrays (``answers.py``). No check, no
  reference value.
- ``checker/``: the graded checks (``checks.py``, run in a sandbox of their own on the
  answers as data) and the queries and reference data they need (``queries.py``, run by
  the grader from the course's own code).
- ``batch.py``: a folder of submissions, each through both sandboxes, several at once,
  into ``grades.csv`` and feedback.
"""
