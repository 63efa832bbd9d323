# Two commands on a fresh machine: `make run` (install, index seeds/, open the chat) and
# `make test` (install test tools, run ruff and the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run install install-test install-llm chromium test test-slow lint bench eval-news eval-extraction index clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is installed first and pinned: a bare requirement would pull a 5 GB CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# A local GGUF backend and the LLM integration tests (a real llama.cpp server). llama-cpp-python
# builds from source (~5-8 min), once per virtualenv (.installed-llm).
# llama.cpp is built for the CPU features every x86-64 machine here has (AVX2, FMA, F16C)
# rather than -march=native: on Intel Xeons that report AMX, a native build runs AMX
# instructions this sandbox refuses ("Fatal Python error: Illegal instruction" in decode).
# --no-cache-dir: pip's wheel cache would hand back a wheel built with other flags.
LLAMA_CMAKE_ARGS ?= $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON,)
$(VENV)/.installed-llm: $(VENV)/.installed-test
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir 'llama-cpp-python[server]>=0.3.16,<0.4'
	$(BIN)/pip install -q -e '.[test,llm-local]'
	touch $@

install-llm: $(VENV)/.installed-llm

install-test: $(VENV)/.installed-test chromium

# Browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

index: install
	$(BIN)/newsdesk index

run: index
	$(BIN)/newsdesk ui --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite but the long fault and load tests (kill -9 at random points, 50 users for
# 60 s), which `make test-slow` runs and CI runs as its own step.
test: install-test lint
	$(BIN)/pytest -q -m "not slow"

test-slow: install-test
	$(BIN)/pytest -q -m slow -s

# First the real-news tier: ../shared/eval/news-dev indexed by newsdesk and by the canonical
# llama-index pipeline with real encoding, then asked its questions (bench/real.py). Then the
# synthetic tiers: 1k measured whole, 10k reading vectors and entities from bench/cache (filled
# by the first run, ~45-60 min). With the cache warm it should take < 20 min; the header of
# bench/RESULTS.md and the last line printed say where the time went. Writes bench/RESULTS.md.
bench: install
	$(BIN)/python -m bench.run --tiers 1000,10000 --real

# Answer quality on real news: indexes ../shared/eval/news-dev once (bench/work/news-dev, about
# 15 minutes the first time; later runs reuse it), asks its 250 questions, writes bench/EVAL.md.
eval-news: install
	$(BIN)/python -m bench.eval_news

# Short-answer typing and voting alone, on news-train's 1,797 answer passages (~30 s): writes
# bench/EXTRACTION.md.
eval-extraction: install
	$(BIN)/python -m bench.eval_extraction

clean:
	rm -rf $(VENV) data tests/artifacts bench/work
