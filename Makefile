# Every target that runs something first makes sure .venv exists and holds the course's
# requirements and the utils package (re-installed when requirements.txt or
# pyproject.toml change). PYTHON picks the interpreter that creates the venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test book lab bench bench-ising student clean help

help:
	@echo "make test         unit tests + every cell of every notebook (nbval)"
	@echo "make book         build the web book into _build/html (-W: warnings are errors)"
	@echo "make lab          open the notebooks in JupyterLab"
	@echo "make bench-ising  Ising sampler against the lecture's loop"
	@echo "make clean        remove build outputs (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

book: $(STAMP)
	DL4PHYS_PROGRESS=text $(VENV)/bin/jupyter-book build . -W -n --keep-going

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

bench-ising: $(STAMP)
	$(PY) benchmarks/ising_speed.py

clean:
	rm -rf _build .jupyter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print | xargs rm -rf
