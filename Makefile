# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Both are idempotent: each step re-runs only when its inputs changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FQ := DEBUG=1 $(BIN)/fengqiao
PORT ?= 8000
# The demo server asks no second factor of its demo accounts (production asks it of
# administrators and leaders): `DEMO_2FA_ROLES=admin,leader make run` to try two-factor login.
DEMO_2FA_ROLES ?=

.PHONY: run test typecheck setup lint format messages bench clean

setup: $(VENV)/.installed var/vendor/.installed var/fonts/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# Front-end packages from npm (pinned in package.json / package-lock.json); only dist files are served.
var/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p var/static var/vendor/htmx var/vendor/echarts var/vendor/leaflet/images
	cp node_modules/htmx.org/dist/htmx.min.js var/vendor/htmx/
	cp node_modules/echarts/dist/echarts.min.js var/vendor/echarts/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css var/vendor/leaflet/
	cp node_modules/leaflet/dist/images/* var/vendor/leaflet/images/
	mkdir -p var/vendor/leaflet-geoman
	cp node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js \
	   node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css var/vendor/leaflet-geoman/
	mkdir -p var/vendor/workbox var/vendor/axe-core
	cp node_modules/workbox-sw/build/workbox-sw.js var/vendor/workbox/
	cp node_modules/workbox-core/build/workbox-core.prod.js node_modules/workbox-routing/build/workbox-routing.prod.js \
	   node_modules/workbox-strategies/build/workbox-strategies.prod.js \
	   node_modules/workbox-expiration/build/workbox-expiration.prod.js var/vendor/workbox/
	# axe-core: only the browser tests inject it (no page links it).
	cp node_modules/axe-core/axe.min.js var/vendor/axe-core/
	touch $@

# The PDF font chain (fengqiao/mediation/fonts.py) from npm packages, merged into TrueType files
# under var/fonts/ (a few minutes, once): Noto Serif SC, then HanaMinA/HanaMinB for the rarer
# characters (CJK Extensions A–F). No system font package is needed.
var/fonts/.installed: var/vendor/.installed $(VENV)/.installed fengqiao/mediation/fontbuild.py
	$(BIN)/python -m fengqiao.mediation.fontbuild node_modules var/fonts
	touch $@

run: setup
	$(FQ) migrate --no-input -v0
	$(FQ) demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (background task worker and scheduler alongside)"
	@trap 'kill 0' INT TERM EXIT; \
	$(FQ) db_worker & \
	$(FQ) scheduler & \
	TWO_FACTOR_REQUIRED_ROLES=$(DEMO_2FA_ROLES) $(FQ) runserver 127.0.0.1:$(PORT)

test: setup typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(FQ) makemigrations --check --dry-run
	$(BIN)/pytest

# Types: the whole package, strict for core and accounts (settings in pyproject.toml).
typecheck: setup
	DEBUG=1 $(BIN)/mypy

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the Chinese message catalogues of every app (needs GNU gettext).
messages: setup
	cd fengqiao && DEBUG=1 ../$(BIN)/fengqiao makemessages -l zh_Hans --no-obsolete
	cd fengqiao && DEBUG=1 ../$(BIN)/fengqiao compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules var/vendor var/fonts
