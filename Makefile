# Two commands for a newcomer: `make run` (install, then a default co-evolution run) and
# `make test` (install, then the test suite). Both install into ./.venv from scratch; `make test`
# also installs Debian's chromium (the report test opens the page in a real headless browser).
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy

.PHONY: install browser run test
install:
	bash scripts/install.sh

browser:
	bash scripts/install_chromium.sh

run: install
	.venv/bin/coevolve run --domain minigrid

test: install browser
	.venv/bin/python -m pytest -q
