# Entry points (see README): `make demo`, `make test` (what CI runs) and `make check` (the fast
# lane: lint and the quick tests). Each sets up a virtual environment first, one per Python:
# .venv/py3.11, .venv/py3.13, ... (.venv/current: the last).
#
# `make demo` installs the base package only (no torch, mediapipe or Dask: the demo needs
# none). `make test` and `make check` add what the tests need: on Python 3.11 (this
# project's machines) the pinned environment of constraints.txt with training (CPU torch
# 2.13.0 from the local disk), the optional mediapipe detector, Dask (rppg[cluster]) and the
# ONNX export (rppg[onnx]); on any other Python the current releases of the base install, Dask
# and ONNX, no torch (the training tests then skip). Override with EXTRAS=... and CONSTRAINTS=...
PYTHON ?= python3
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ifeq ($(PYVER),3.11)
EXTRAS ?= dev,train,mediapipe,cluster,onnx
CONSTRAINTS ?= -c constraints.txt
else
EXTRAS ?= dev,cluster,onnx
CONSTRAINTS ?=
endif
VENV ?= .venv/py$(PYVER)
PY := $(VENV)/bin/python
comma := ,
BASE := $(VENV)/.installed-base
FULL := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
# Current setuptools (>= 80) prints an informational "Editable installation" notice for every
# editable install, whatever the mode; it asks nothing of the user.
PIP := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install -q $(CONSTRAINTS)
LINK = @case "$(VENV)" in .venv/*) ln -sfn $(notdir $(VENV)) .venv/current;; esac

.PHONY: setup demo test check lint benchmark clean

$(BASE): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $(BASE)

$(FULL): $(BASE)
	$(PIP) -e '.[$(EXTRAS)]'
	touch $(FULL)

setup: $(FULL)
	$(LINK)

demo: $(BASE)
	$(LINK)
	$(VENV)/bin/rppg synth demo/sample --hr 72 --duration 30 --seed 1 --motion 3
	$(VENV)/bin/rppg process demo/sample/synth.avi --out demo/result

test: $(FULL)
	$(LINK)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

check: $(FULL)
	$(LINK)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -m "not slow"

lint: $(FULL)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

benchmark: $(BASE)
	$(PY) scripts/benchmark.py

clean:
	rm -rf demo .pytest_cache
