# Everything a fresh machine needs: `make run` (set up + serve) and `make test` (set up + all tests).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
QA     := $(VENV)/bin/qa
PORT   ?= 8000
HOST   ?= 127.0.0.1
# The browser the page tests drive: Debian's Chromium, through Playwright (no browser is ever downloaded).
CHROMIUM ?= /usr/bin/chromium

# Nothing may reach a model hub: every model comes out of a pip package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup models index browser run replicas test test-unit check eval fit bench bench-scale load train train-data clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0   # the local CPU wheel, before anything that depends on torch
	$(PY) -m pip install --quiet -e ".[dev,ray]"   # ray: the distributed build and Serve (see Scaling out)
	touch $@

setup: $(VENV)/.installed

models: setup            ## build the offline embedding model into data/models (first time only)
	$(QA) models

index: models            ## (re)build the index when articles, model or chunking changed
	$(QA) index sync

browser:                 ## the headless Chromium the page tests need: installed with apt when root, else says what to install
	@if [ -x "$(CHROMIUM)" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser tests (apt-get) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM) (or set CHROMIUM=/path/to/chromium)."; \
	  echo "Install it as root:  apt-get install chromium   (Debian/Ubuntu), then run make test again."; \
	  echo "(make test-unit runs without it: the browser tests are then skipped.)"; \
	  exit 1; \
	fi

run: index               ## set up everything and serve on $(HOST):$(PORT)
	$(QA) serve --host $(HOST) --port $(PORT)

REPLICAS ?= 2
replicas: index          ## $(REPLICAS) replicas of the API on Ray Serve behind $(HOST):$(PORT), over the same index (see Scaling out)
	$(PY) -m api.serve --replicas $(REPLICAS) --host $(HOST) --port $(PORT)

test: models browser     ## set up everything and run every test: the real-model tier and the browser tests included
	QA_BROWSER_REQUIRED=1 QA_CHROMIUM=$(CHROMIUM) $(PY) -m pytest

test-unit: setup         ## fast tests only (fake embedder, no model)
	$(PY) -m pytest -m "not integration"

check: setup             ## lint, format and type checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

eval: models             ## score the seed question set: eval/reports/latest.json and latest.html with its plots (ARGS="--sweep" etc.)
	$(QA) eval $(ARGS)

fit: models              ## refit the reader's weights on the seed questions (ARGS="--dry-run" to only report)
	$(PY) -m eval.fit $(ARGS)

TRAIN_OUT ?= build/train
# stage 1 starts from a copy of the weights in the tree (copied once: an install must not change a run under way)
TRAIN_INIT ?= $(TRAIN_OUT)/init/span_reader.safetensors
train-data: setup        ## check the team-written news training set (data/train/news)
	$(PY) -m train.validate

$(TRAIN_OUT)/init/span_reader.safetensors:
	mkdir -p $(@D) && cp qa/readers/span/weights/span_reader.safetensors qa/readers/span/weights/span_reader.json $(@D)/

train: models train-data $(TRAIN_OUT)/init/span_reader.safetensors ## fine-tune the span reader in 2 stages (resumable, hours on 2 cores), export the dev splits, tune + calibrate, ship it if it wins
	$(PY) -m train fit --sources piaf news squad shifts unanswerable covid --share squad=0.6 shifts=0.35 covid=0.5 \
		--init $(TRAIN_INIT) --out $(TRAIN_OUT)/multi --epochs 1 --max-steps 1800 --lr 1e-4 --negatives 0.3 --no-dev
	$(PY) -m train fit --sources piaf news --init $(TRAIN_OUT)/multi/span_reader.safetensors \
		--out $(TRAIN_OUT)/french --epochs 1 --max-steps 400 --lr 5e-5 --negatives 0.5 --seed 7 --no-dev
	$(PY) -m train.export
	$(PY) -m train tune $(TRAIN_OUT)/french/span_reader.safetensors
	$(PY) -m train install $(TRAIN_OUT)/french/span_reader.safetensors

bench: models            ## qa index build end to end per stage (115 PIAF articles) and extraction files/s per format, encode throughput; warm POST /ask on the eval sets (1 and 8 clients) and where the time goes (ARGS="--ask-only" or "--ingest-only")
	$(PY) -m train.export --out build/eval   # the news development split, for the questions of POST /ask
	$(PY) -m eval.bench $(ARGS)

bench-scale: models      ## the index at 10k, 100k and 1M chunks of a SYNTHETIC corpus: build time, disk, RSS, load time, retrieval p50/p95, recall vs exact (ARGS="--sizes 10000 100000"; the 1M size takes ~12 min and ~9 GiB)
	$(PY) -m eval.bench_scale run $(ARGS)

load: models             ## 8 clients ask a real qa serve for 60 s while a writer adds, replaces, deletes and rebuilds: no failed /ask, answers verbatim; requests/s, p50/p99 (ARGS="--clients 4 --duration 20 --no-writes" etc.)
	$(PY) -m eval.load $(ARGS)

clean:
	rm -rf data/index data/index-eval eval/reports .pytest_cache .mypy_cache .ruff_cache
