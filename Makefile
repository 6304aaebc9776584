PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test check lint docs install bench interop clean

$(BIN)/thematic: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(BIN)/thematic

install: $(BIN)/thematic

demo: install
	rm -rf out && mkdir -p out
	$(BIN)/thematic --project out/demo.db run corpora/ai-therapy-survey.csv \
	    --id respondent_id --text answer --codebook codebooks/ai-therapy.yaml --out out
	$(BIN)/thematic --project out/demo.db report --out out/report.html --scales scales/ai-therapy.yaml
	$(BIN)/thematic --project out/demo.db export units --coder machine --layout wide --out out/coded-units.xlsx

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check thematic tests benchmarks

docs: install
	$(BIN)/python -m thematic.cli.gendocs > docs/cli.md

check: lint test

bench: install
	$(BIN)/pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/bench_import.py

# opt-in: QualCoder as referee (QUALCODER_SRC, QUALCODER_PYTHON; see docs/exports.md)
interop: install
	$(BIN)/python benchmarks/bench_interop.py

clean:
	rm -rf $(VENV) out
