# Diaspora: `make run` to try it, `make test` to check it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run test lint format bench worker clean messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compiled catalogs are built from the translations, never committed.
TRANSLATIONS := diaspora/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(STAMP) $(CATALOGS:.po=.mo)

# After changing interface strings: extract them and add the new ones to every catalog.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
		-k NN_:1,2 -k NP_:1c,2 \
		--no-location --sort-output --add-comments=Translators: --project=Diaspora -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width=100 -i $(TRANSLATIONS)/messages.pot \
		-d $(TRANSLATIONS)

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) search rebuild
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest --numprocesses=auto

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check diaspora tests bench

format: install
	$(BIN)/ruff format diaspora tests bench

worker: install
	$(FLASK) mail deliver --loop

bench: install
	$(BIN)/python bench/search.py --docs 10000

clean:
	rm -rf $(VENV) build *.egg-info
