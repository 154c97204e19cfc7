"""The branches that the deploy workflow (``.github/workflows/book.yml``) publishes.

``LECTURE_BRANCH`` (the public notebooks that the launch buttons open, and the course
package that their first cell installs) is defined in the student package, whose copy on
a student's machine needs it without this core; it is the same name here.
"""

from __future__ import annotations

from utils.assignment import LECTURE_BRANCH

ASSIGNMENTS_BRANCH = "assignments"  # the student notebooks, never a solution
HUB_FOLDER = "dl4phys-assignments"  # where nbgitpuller puts them in a student's hub home

__all__ = ["ASSIGNMENTS_BRANCH", "HUB_FOLDER", "LECTURE_BRANCH"]
