# Glint's two commands: `make demo` and `make test`. Both install whatever is missing first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup build demo test lint fmt clean-models

## Install system packages, the set-up virtualenv and the models (idempotent).
setup:
	@bash scripts/setup.sh

## Build the glint binary (release).
build: setup
	@echo "==> building glint (release)"
	@$(CARGO) build --release --bin glint

## Set up, build and check every model on real images.
demo: build
	@echo "==> glint models verify"
	@./target/release/glint models verify

## Set up, then formatting, lints and every test.
test: setup
	@echo "==> cargo fmt --check"
	@$(CARGO) fmt --all -- --check
	@echo "==> cargo clippy --all-targets -- -D warnings"
	@$(CARGO) clippy --workspace --all-targets -- -D warnings
	@echo "==> cargo test"
	@$(CARGO) test --workspace

fmt:
	@$(CARGO) fmt --all
