"""The local engine: ``JOBS`` hand-ins at once in threads of ``make grade`` (each in its
own two sandboxes), a failure of the machinery retried at once."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grading import sandbox
from grading.engines import Options
from grading.grader import Grader, MachineryFailure
from grading.store import Store
from grading.work import Item, Settings, grade_item


def attempt(grader: Grader, store: Store, item: Item, settings: Settings,
            retries: int) -> dict | str:
    """The item's result, or after ``1 + retries`` failures of the machinery the last
    reason."""
    reason = ""
    for _ in range(1 + retries):
        try:
            return grade_item(grader, store, item, settings.force)
        except MachineryFailure as err:
            reason = str(err)
    return f"not graded after {1 + retries} tries: {reason}"


def run(queue: Path, settings: Settings, items: list[Item], options: Options,
        progress: Callable[[Item, dict | str], None]) -> dict[int, dict | str]:
    store = Store(Path(settings.grades))
    results: dict[int, dict | str] = {}
    with tempfile.TemporaryDirectory(prefix=sandbox.owned_prefix("grading")) as scratch:
        grader = Grader(settings.make_limits(), Path(scratch), settings.assignment,
                        settings.unsafe, prepared_in=queue)
        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            futures = {pool.submit(attempt, grader, store, item, settings, options.retries):
                       item for item in items}
            for future in as_completed(futures):
                item = futures[future]
                results[item.index] = future.result()
                progress(item, results[item.index])
    return results
