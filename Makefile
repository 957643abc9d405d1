# The two commands a newcomer needs:  `make run`  and  `make test`.
# Both create .venv and install flashguard into it on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: setup run test lint bench clean browser

# Debian's Chromium for the dashboard's browser test (Playwright drives it; no browser
# download). Installed once, as root or through sudo.
CHROMIUM ?= /usr/bin/chromium
APT := DEBIAN_FRONTEND=noninteractive $(shell [ "$$(id -u)" = 0 ] || echo sudo) apt-get

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# the main job: the default scenario (may6) and its seed, into runs/may6-<seed>
run: setup
	$(BIN)/flashguard run

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

browser: $(CHROMIUM)

$(CHROMIUM):
	$(APT) install -y -q --no-install-recommends chromium || \
	  ($(APT) update -q && $(APT) install -y -q --no-install-recommends chromium)

test: lint $(CHROMIUM)
	$(BIN)/pytest -q -n 2
	$(PY) bench/matching.py --quick
	$(PY) bench/risk.py --quick
	$(PY) bench/simulate.py --quick
	$(PY) bench/router.py --quick
	$(PY) bench/loop.py --quick
	$(PY) bench/system.py --quick
	$(PY) bench/sweep.py --quick

bench: setup
	$(PY) bench/matching.py
	$(PY) bench/risk.py
	$(PY) bench/simulate.py
	$(PY) bench/loop.py
	$(PY) bench/router.py
	$(PY) bench/system.py
	$(PY) bench/sweep.py

clean:
	rm -rf $(VENV) build src/*.egg-info src/flashguard/market/_cengine*.so src/flashguard/core/_cloop*.so src/flashguard/system/risk/_cgate*.so src/flashguard/system/_clane*.so
