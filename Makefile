# Two entry points (see README): `make demo` and `make test`. Both set up a virtual
# environment first, one per Python: .venv/py3.11, .venv/py3.13, ... (.venv/current: the last)
#
# On Python 3.11 (this project's machines) the pinned environment of constraints.txt is
# installed, with training (CPU torch 2.13.0 from the local disk), the optional mediapipe
# detector and Dask (rppg[cluster]). On any other Python: the current releases of the base
# install and Dask, no torch (the training tests then skip). Override with EXTRAS=... and
# CONSTRAINTS=...
PYTHON ?= python3
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ifeq ($(PYVER),3.11)
EXTRAS ?= dev,train,mediapipe,cluster
CONSTRAINTS ?= -c constraints.txt
else
EXTRAS ?= dev,cluster
CONSTRAINTS ?=
endif
VENV ?= .venv/py$(PYVER)
PY := $(VENV)/bin/python
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: setup demo test lint benchmark clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# Current setuptools (>= 80) prints an informational "Editable installation" notice for
	@# every editable install, whatever the mode; it asks nothing of the user.
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install -q $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	touch $(STAMP)

setup: $(STAMP)
	@case "$(VENV)" in .venv/*) ln -sfn $(notdir $(VENV)) .venv/current;; esac

demo: setup
	$(VENV)/bin/rppg synth demo/sample --hr 72 --duration 30 --seed 1 --motion 3
	$(VENV)/bin/rppg process demo/sample/synth.avi --out demo/result

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

benchmark: setup
	$(PY) scripts/benchmark.py

clean:
	rm -rf demo .pytest_cache
