# The README's two commands: `make run` serves Intake, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi

.PHONY: run test lint format system-deps bench screenshots clean translations messages

# Debian packages for PDF rendering, PDF checks, fonts for every script and browser tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-core \
	fonts-noto-cjk poppler-utils qpdf chromium
# The chart PDF: HarfBuzz subsets the embedded fonts (WeasyPrint falls back to slower fontTools
# without it); fontconfig's fc-list lets the tests check the Noto fonts are there.
SYSTEM_PACKAGES += libharfbuzz-subset0 fontconfig
# A real spreadsheet (LibreOffice Calc, headless) opens the CSV export in tests.
SYSTEM_PACKAGES += libreoffice-calc-nogui
# The HTTPS browser tests make a throwaway certificate.
SYSTEM_PACKAGES += openssl

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed translations
	$(BIN)/flask db upgrade
	@if [ "$$($(BIN)/flask intake staff-count)" = "0" ]; then \
	  echo ""; \
	  echo "No staff account exists yet. Create the first (admin) one with:"; \
	  echo "  $(BIN)/flask --app wsgi intake create-staff you@example.org --admin"; \
	  echo ""; \
	fi
	@# The render worker beside the web server; Ctrl-C (or the end of either) stops both.
	@$(BIN)/flask intake render-worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - wsgi:app

test: $(BIN)/.installed translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing:" $$missing; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# The patient pages' translations (docs/translating.md). `make messages` extracts every marked
# string and the questionnaire's words into messages.pot and merges them into each language's
# .po, for a translator; `make translations` compiles the .po files into the .mo files the app
# reads (built, not committed).
TRANSLATIONS := intake/translations
messages: $(BIN)/.installed
	PYTHONPATH=. $(BIN)/pybabel extract --mapping-file babel.cfg --keywords lazy_gettext \
	  --no-location --sort-output --omit-header --width 100 -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --input-file $(TRANSLATIONS)/messages.pot --output-dir $(TRANSLATIONS) \
	  --width 100 --no-fuzzy-matching --ignore-obsolete

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --directory $(TRANSLATIONS) --statistics

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# docs/screenshots/*.png, shown in the README (needs Chromium: `make system-deps`).
screenshots: $(BIN)/.installed
	$(BIN)/python scripts/screenshots.py

# Every benchmark in bench/ in turn (a new bench/*.py is picked up), each one's output kept in
# .bench/<name>.log; then the summary table in docs/performance.md is rewritten from the
# `figure:` lines they printed (scripts/bench_report.py). Stops at the first that fails.
# `make bench BENCH_ARGS=--short` for a quick pass.
BENCH_ARGS ?=
bench: $(BIN)/.installed
	@rm -rf .bench && mkdir .bench
	@for script in bench/*.py; do \
	  name=$$(basename $$script .py); \
	  echo "== $$script $(BENCH_ARGS)"; \
	  { $(BIN)/python -u $$script $(BENCH_ARGS) 2>&1; echo $$? > .bench/$$name.status; } \
	    | tee .bench/$$name.log; \
	  [ "$$(cat .bench/$$name.status)" = 0 ] || { echo "$$script failed"; exit 1; }; \
	done
	$(BIN)/python scripts/bench_report.py --args="$(BENCH_ARGS)" .bench/*.log
