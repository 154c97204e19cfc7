"""Where the hand-ins are graded: each engine is one module with one function,

    run(queue, settings, items, options, progress) -> {item index: result dict or reason}

``queue`` is the run's private folder in the grades folder, holding ``plan.json`` and each
assignment's queries and references; ``items`` the hand-ins to grade
(:class:`grading.work.Item`); a result dict is what :func:`grading.work.grade_item`
returns, a reason (a string) says why an item stayed ungraded after its retries (a
failure of the machinery, never the student's). ``local`` grades in threads of this
process; ``slurm`` in a job array of the department's cluster. Another engine (HTCondor,
Kubernetes Jobs, dask) is one more module with the same function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    jobs: int = 1  # local: hand-ins at once
    retries: int = 2  # a failure of the machinery: tried again this many times
    per_task: int = 1  # slurm: hand-ins per array task
    max_tasks: int = 0  # slurm: array tasks at once (0: as many as Slurm runs)
    slurm_args: str = ""  # slurm: passed to sbatch (partition, account, ...)
    poll: float = 2.0  # slurm: seconds between looks at the queue


ENGINES = ("local", "slurm")
