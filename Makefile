# Quickstart: `make demo` then `make test`. Everything runs from .venv/ in the repo root.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export WANDB_DISABLED := true
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test test-fast lint demo bench clean lock

setup: $(STAMP)

# Rebuilt only when the dependency declarations change. pip is upgraded first: pip 23 ignores the
# math-verify[antlr4_9_3] extra without a word.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[all,dev]'
	# DeepSpeed (the recipes' ZeRO-3) ships only an sdist that needs torch at build time; without build
	# isolation it builds in seconds into a pure-Python wheel (its CUDA ops compile just in time on GPUs).
	$(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) deepspeed hjson ninja py-cpuinfo
	touch $(STAMP)

test: setup
	$(BIN)/ruff check vision_r1_plugins tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q --durations=15 tests

# Everything but the tests marked slow (real training, Ray, torchrun, the demo, the wheel): about a minute.
test-fast: setup
	$(BIN)/ruff check vision_r1_plugins tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow" tests

lint: setup
	$(BIN)/ruff check vision_r1_plugins tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/ruff format --check vision_r1_plugins tests benchmarks

bench: setup
	$(BIN)/python benchmarks/reward_bench.py

demo: setup
	$(BIN)/vision-r1 demo

# Refresh the lock after changing pins in pyproject.toml / requirements/pins.txt.
lock:
	rm -rf /tmp/vision-r1-lock && $(PYTHON) -m venv /tmp/vision-r1-lock
	/tmp/vision-r1-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	/tmp/vision-r1-lock/bin/python -m pip install --quiet -c requirements/pins.txt -e '.[all,dev]'
	/tmp/vision-r1-lock/bin/python -m pip install --quiet --no-build-isolation -c requirements/pins.txt deepspeed hjson ninja py-cpuinfo
	/tmp/vision-r1-lock/bin/python -m pip freeze --exclude-editable | grep -v '^vision-r1-plugins' > $(LOCK)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
