# pgqtune — make run: a real workload on a throwaway Postgres; make test: all tests.
GO       ?= go
BIN      := bin/pgqtune
# DURATION: empty runs the scenario for its own length (baseline: 33 s).
DURATION ?=
SCENARIO ?= baseline
PKGS     := ./...
# VERSION is what `pgqtune --version` prints and report.json records.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/pgqtune/pgqtune/internal/version.Version=$(VERSION)
# pg_query_go is cgo and slow to build the first time: the Go build cache
# keeps it after that.
export CGO_ENABLED := 1

.PHONY: all deps deps-test build run test test-stress test-short bench lint fmt clean

all: build

deps:
	@bash scripts/deps.sh

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pgqtune

run: deps build
	./$(BIN) run --scenario $(SCENARIO) $(if $(DURATION),--duration $(DURATION))

lint:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run 'TestImportRules|TestCauseCodesSpelledOnce|TestSchemaPinsCauses' ./internal/layout/
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt -l reports unformatted files:"; echo "$$out"; exit 1; fi

deps-test:
	@bash scripts/deps.sh --test

test: deps-test lint
	$(GO) test -count=1 -timeout 20m $(PKGS)

# The whole suite (as `make test`) with two CPU-bound processes beside it, as
# on a busy CI host; scripts/stress.sh starts and kills them.
test-stress: deps-test lint
	GO=$(GO) bash scripts/stress.sh $(PKGS)

bench: deps build
	bash scripts/bench.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin pgqtune-runs
