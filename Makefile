# Every target that runs something first makes sure .venv exists and holds the course's
# requirements and the utils package (re-installed when requirements.txt or
# pyproject.toml change). PYTHON picks the interpreter that creates the venv.
PYTHON ?= python3
SHELL  := /bin/bash
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOGS   := _build/logs
# make test runs the notebooks in parallel: WORKERS pytest-xdist workers (one per core,
# at most one per notebook), each kernel with THREADS PyTorch threads, so that
# WORKERS x THREADS = cores and no worker's threads wait for another's.
NPROC   := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
WORKERS ?= $(shell n=$(NPROC); echo $$(( n < 6 ? n : 6 )))
# make lab-check: notebooks open in LAB_WORKERS JupyterLab servers and browsers at once.
LAB_WORKERS ?= 2
THREADS ?= $(shell echo $$(( $(NPROC) / $(WORKERS) > 1 ? $(NPROC) / $(WORKERS) : 1 )))

.PHONY: help test book book-instructor lab lab-check repository-url publish-check student assignments grade grade-preflight similarity assignments-check browser-check bench bench-ising lint clean

help:
	@echo "make test           unit tests + every cell of every notebook (nbval)"
	@echo "make book           build the public web book into _build/html (warnings are errors)"
	@echo "make book-instructor  the book with every solution, in _build/instructor/html"
	@echo "make lab [EDITION=public]  open the notebooks in JupyterLab (public: as released today)"
	@echo "make repository-url URL=https://github.com/ORG/REPO  the published repository, everywhere"
	@echo "make lab-check      run every notebook in a real JupyterLab in headless Chromium"
	@echo "make publish-check  launch links with an example repository URL (after make book)"
	@echo "make student        student notebooks + book without solutions in _build/student"
	@echo "make assignments    otter-grader assignments in _build/assignments (student + autograder)"
	@echo "make grade SUBMISSIONS=dir [ROSTER=csv] [WORKSHEET=csv] [GRADES=grades] [ASSIGNMENT=name] [JOBS=n]"
	@echo "           [TIMEOUT=900] [MEMORY=4G] [PROCESSES=512] [CPUS=1] [UNSAFE=1] [FORCE=1]"
	@echo "           [RETRIES=2] [ENGINE=local|slurm] [PER_TASK=1] [MAX_TASKS=n] [SLURM_ARGS='...']"
	@echo "                    grade hand-ins (plain, Moodle, Canvas), each sandboxed: grades/"
	@echo "make grade-preflight ENGINE=slurm [SLURM_ARGS='...']  what a cluster's nodes lack for grading"
	@echo "make similarity SUBMISSIONS=dir [ROSTER=csv]  the most similar pairs of students' own code: grades/similarity/"
	@echo "make assignments-check       grading tests: sandboxed submissions, stand-in Colab (after make book)"
	@echo "make browser-check  open every page of the built book in headless Chromium"
	@echo "make bench          time every notebook and the lecture's own code"
	@echo "make bench-ising    Ising sampler against the lecture's Metropolis loop"
	@echo "make lint           ruff on the package, tests and notebooks"
	@echo "make clean          remove build outputs (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	touch $(STAMP)

# The whole run is logged to _build/logs/test.log (and test.xml): a failed notebook cell
# shows its traceback there and in the terminal. nbval's execution of each notebook also
# fills the book's execution cache (scripts/book_cache.py: only notebooks whose every cell
# ran without error), so make book after make test executes nothing again; progress
# lines as the book shows them (DL4PHYS_PROGRESS=text).
BOOK_CACHE := _build/.jupyter_cache
test: $(STAMP)
	@mkdir -p $(LOGS)
	set -o pipefail; DL4PHYS_THREADS=$(THREADS) DL4PHYS_PROGRESS=text \
		DL4PHYS_BOOK_CACHE=$(CURDIR)/$(BOOK_CACHE) $(PY) -m pytest tests notebooks \
		--ignore=tests/student --ignore=tests/browser --ignore=tests/lab --ignore=tests/publish \
		--ignore=tests/assignments -p scripts.book_cache \
		--nbval-lax --nbval-current-env -p no:cacheprovider -rfEs \
		-n $(WORKERS) --dist loadfile --junitxml=$(LOGS)/test.xml 2>&1 | tee $(LOGS)/test.log

# The instructor's book (every solution) takes each notebook's outputs from the execution
# cache (filled by make test, or by an earlier build) and executes, one at a time with all
# the cores, only the notebooks whose code has no entry there; it ends in
# _build/instructor/html. Then the assignments that the pages
# hand out are built from its execution cache (nothing runs again; make assignments
# executes the solutions under otter instead). make book then builds the public book
# from the same cache into _build/html (what the deploy workflow publishes): graded
# solutions only from their release date (course: in _config.yml), and prints what is
# public today.
book-instructor: $(STAMP)
	DL4PHYS_PROGRESS=text DL4PHYS_THREADS=$${DL4PHYS_THREADS:-$(NPROC)} \
		$(VENV)/bin/jupyter-book build . -W -n --keep-going
	rm -rf _build/instructor/html && mkdir -p _build/instructor
	mv _build/html _build/instructor/html
	$(PY) -m scripts.assignments --from-book-cache

book: book-instructor
	$(PY) -m scripts.release --site

# make lab EDITION=public: the notebooks as the public may see them today (graded
# solutions withheld until their date), for projecting in a lecture before the release.
lab: $(STAMP)
	$(if $(filter public,$(EDITION)),$(PY) -m scripts.release --lecture-branch _build/lab-public)
	$(VENV)/bin/jupyter lab --KernelManager.transport_encryption=auto \
		$(if $(filter public,$(EDITION)),_build/lab-public/notebooks,notebooks)

# make repository-url URL=https://github.com/ORG/REPO: the published repository, in
# _config.yml and every notebook's Colab cell (the book's cache is carried over).
repository-url: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make repository-url URL=https://github.com/ORG/REPO [BRANCH=main]"; exit 2; }
	$(PY) -m scripts.repository_url "$(URL)" $(BRANCH)

lab-check: $(STAMP)
	@mkdir -p $(LOGS)
	set -o pipefail; $(PY) -m pytest tests/lab -p no:cacheprovider -rfEs -n $(LAB_WORKERS) \
		--junitxml=$(LOGS)/lab-check.xml 2>&1 | tee $(LOGS)/lab-check.log

publish-check: $(STAMP)
	@mkdir -p $(LOGS)
	set -o pipefail; $(PY) -m pytest tests/publish -p no:cacheprovider -rfEs 2>&1 \
		| tee $(LOGS)/publish-check.log

student: book
	$(PY) -m scripts.student_edition
	$(PY) -m pytest tests/student -p no:cacheprovider -rfEs

# Each notebook is executed once, by otter assign, which refuses to finish unless the
# solution version scores full marks. One notebook at a time, all cores (like the book).
# FROM_BOOK=1 (CI, deploy): nothing is executed again; make book's execution cache must
# show every cell, the test cells included, run without error.
assignments: $(STAMP)
	DL4PHYS_PROGRESS=text DL4PHYS_THREADS=$${DL4PHYS_THREADS:-$(NPROC)} $(PY) -m scripts.assignments \
		$(if $(FROM_BOOK),--from-book-cache)

# make grade SUBMISSIONS=folder: every submission in its own sandbox (bubblewrap), JOBS at
# a time (default: one per core, as many as fit in memory at MEMORY each), each capped at
# MEMORY (whole process tree), PROCESSES (processes + threads), CPUS (cores) and TIMEOUT
# (seconds). ASSIGNMENT=name forces the assignment; UNSAFE=1 grades without a sandbox.
# SUBMISSIONS: a plain folder or an unpacked Moodle or Canvas download; ROSTER=file.csv
# (id, name, email) names the students; WORKSHEET=file.csv: Moodle's grading worksheet,
# written back filled (with a feedback zip; Canvas: a re-upload zip) in GRADES/runs/RUN/lms;
# GRADES: the term's folder (every run is kept in
# GRADES/runs/, every result in GRADES/results/, the gradebook and LMS imports beside;
# make clean leaves it alone). A result is kept the moment it exists: the same make grade
# run again grades only what has no result yet (FORCE=1: everything). A failure of the
# machinery is tried RETRIES more times, then reported, never scored.
# ENGINE=slurm grades on a Slurm cluster (one job array: PER_TASK hand-ins per task, at
# most MAX_TASKS at once, SLURM_ARGS passed to sbatch); make grade-preflight ENGINE=slurm
# first checks what the nodes need (docs/assignments.md, "A department's cluster").
GRADES    ?= grades
TIMEOUT   ?= 900
MEMORY    ?= 4G
PROCESSES ?= 512
CPUS      ?= 1
ENGINE    ?= local
RETRIES   ?= 2
PER_TASK  ?= 1
MAX_TASKS ?= 0
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [ROSTER=roster.csv] [WORKSHEET=moodle.csv] [GRADES=grades] [ASSIGNMENT=name] [JOBS=n] [TIMEOUT=s] [MEMORY=4G] [PROCESSES=n] [CPUS=n] [UNSAFE=1] [FORCE=1] [RETRIES=2] [ENGINE=local|slurm] [PER_TASK=1] [MAX_TASKS=n] [SLURM_ARGS='...']"; exit 2; }
	$(PY) -m grading.batch "$(SUBMISSIONS)" --grades "$(GRADES)" $(if $(ROSTER),--roster "$(ROSTER)") \
		$(if $(WORKSHEET),--worksheet "$(WORKSHEET)") \
		--timeout $(TIMEOUT) --memory $(MEMORY) \
		--processes $(PROCESSES) --cpus $(CPUS) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(UNSAFE),--unsafe) \
		--engine $(ENGINE) --retries $(RETRIES) --per-task $(PER_TASK) \
		--max-tasks $(MAX_TASKS) $(if $(FORCE),--force) \
		$(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)")

grade-preflight: $(STAMP)
	$(PY) -m grading.preflight --engine $(ENGINE) --grades "$(GRADES)" \
		$(if $(SLURM_ARGS),--slurm-args "$(SLURM_ARGS)")

similarity: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make similarity SUBMISSIONS=folder [ROSTER=roster.csv] [GRADES=grades]"; exit 2; }
	$(PY) -m grading.similarity "$(SUBMISSIONS)" --grades "$(GRADES)" $(if $(ROSTER),--roster "$(ROSTER)")

# The two files side by side (pytest-xdist, one worker each): the sandboxed batch (its
# JOBS grade at once) and Run All of the five student notebooks on the stand-in Colab.
assignments-check: $(STAMP)
	@mkdir -p $(LOGS)
	set -o pipefail; DL4PHYS_PROGRESS=text DL4PHYS_THREADS=$(THREADS) \
		$(PY) -m pytest tests/assignments -p no:cacheprovider -rfEs -n 2 --dist loadfile \
		--junitxml=$(LOGS)/assignments-check.xml 2>&1 | tee $(LOGS)/assignments-check.log

# Every page of the built book (BOOK_HTML, default _build/html) in headless Chromium: it
# renders offline (tests/browser/test_site.py), and meets WCAG 2.1 AA: axe-core's A and AA
# rules, text alternatives of the figures, the keyboard alone (test_accessibility.py).
# Two pytest-xdist workers, each with its own browser.
browser-check: $(STAMP)
	@test -d _build/html || { echo "No _build/html: run 'make book' first"; exit 1; }
	$(PY) -m pytest tests/browser -p no:cacheprovider -rfEs -n 2

# Like the book, one notebook at a time on an idle machine: all cores, as the lecture's
# code gets (DL4PHYS_THREADS=1 make bench: what a 2-core laptop gets by default).
bench: $(STAMP)
	DL4PHYS_THREADS=$${DL4PHYS_THREADS:-$(NPROC)} $(PY) -m benchmarks.course_benchmark

bench-ising: $(STAMP)
	$(PY) -m benchmarks.ising_speed

lint: $(STAMP)
	$(PY) -m ruff check conftest.py course utils grading tests benchmarks scripts notebooks _ext

clean:
	rm -rf _build .jupyter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print | xargs rm -rf
