# Two commands for a newcomer: `make run` (install, then a default co-evolution run) and
# `make test` (install, then the test suite). Both install into ./.venv from scratch.
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy

.PHONY: install run test
install:
	bash scripts/install.sh

run: install
	.venv/bin/coevolve run --domain minigrid

test: install
	.venv/bin/python -m pytest -q
