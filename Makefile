# Two commands do everything, on a fresh machine with python3 (and its venv module) and make:
#   make book   build the web book (executing every notebook) into _build/html/
#   make test   unit tests, strict nbval over chapters/, and a -W build of the book
# Both create .venv if it is missing and install requirements.txt and k8slite (editable).
# The install is skipped while requirements.txt and pyproject.toml are unchanged (stamp file).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements.stamp
PIP    := $(BIN)/python -m pip -qq --disable-pip-version-check --no-input

# Jupyter's standard platform paths (and no deprecation warning about them).
export JUPYTER_PLATFORM_DIRS := 1

CHAPTERS := $(wildcard chapters)
# Debian's kubectl 1.20, beside the machine's 1.27-1.33, for the server-mode tests.
KUBECTL_120 := $(VENV)/kubectl-1.20/kubectl

.PHONY: book test clean

$(STAMP): requirements.txt pyproject.toml
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV) \
		|| { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	@echo "installing requirements.txt and k8slite into $(VENV) ..."
	$(PIP) install -r requirements.txt
	$(PIP) install -e .
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build .
	@echo
	@echo "The book is at _build/html/index.html"

# One pytest run: tests/ (unit tests and tests/test_book.py, which builds the book
# with -W), then every chapter under strict nbval in this same environment.
$(KUBECTL_120):
	@sh tools/fetch-kubectl-1.20.sh $(VENV)/kubectl-1.20

test: $(STAMP) $(KUBECTL_120)
	$(BIN)/python -m pytest tests $(CHAPTERS) --nbval --nbval-current-env \
		--nbval-cell-timeout=300 --durations=15 -q

clean:
	rm -rf _build
