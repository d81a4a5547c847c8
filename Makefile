# creditcase — see README.md. `make run` and `make test` do all set-up.
GO        ?= go
BIN       := bin
PKGS      := ./...
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0

.PHONY: all setup build run test test-race lint tidy fmt vet staticcheck workflowcheck deploy-check scaleout bench bench-full clean

all: build

setup:
	@bash scripts/setup.sh

build:
	$(GO) build -o $(BIN)/creditcase ./cmd/creditcase

# The console's browser (Chromium) is for the tests only: run skips it.
run:
	@SETUP_BROWSER=0 bash scripts/setup.sh
	$(GO) build -o $(BIN)/creditcase ./cmd/creditcase
	./$(BIN)/creditcase dev

# All tests: unit, workflow (time-skipping) and integration tests against a
# private PostgreSQL and the embedded Temporal server.
test: setup
	$(GO) test -count=1 -timeout 30m $(PKGS)

test-race: setup
	$(GO) test -race -count=1 -timeout 45m $(PKGS)

lint: tidy vet staticcheck workflowcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# go.mod and go.sum are exactly what the imports need (direct requires not
# marked // indirect); `go mod tidy` fixes a failure.
tidy:
	$(GO) mod tidy -diff
	cd deploy && $(GO) mod tidy -diff

# deploy/: the Helm chart rendered with Helm's Go SDK and decoded strictly into
# the Kubernetes types, the compose file loaded with compose-go, the Dockerfile
# parsed with BuildKit's parser. A module of its own, so the application does
# not carry Helm. CREDITCASE_STATIC_BUILD=1 also builds the image's static
# binary and checks it (a second full compile, cgo off).
deploy-check:
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

# The production roles as separate processes: throughput with 1 and 2
# workers, kill -9 of a worker and an API, a rolling upgrade, and two engine
# nodes forming one Temporal cluster with one killed (small sizes; see
# deploy/README.md).
scaleout: setup
	$(GO) run ./bench/scaleout -n 12 -c 6 -drill 4

# Issue 20's figures in one table (figure, goal, verdict, load average):
# opening work, caseworker actions, open cases at rest and across an
# outage, the public lookup and the disclosure sweep. Quick sizes; the full
# ones (100 000 cases, 10 M records: hours) with make bench-full, keeping
# the seeded clusters in BENCH_DIR.
bench: setup
	$(GO) run ./bench/all $(if $(BENCH_LOCK),-lock $(BENCH_LOCK))

BENCH_DIR ?= /tmp/creditcase-bench
# BENCH_LOCK: a flock(1) file held during each measuring run (not while
# seeding), e.g. a shared machine's /work/bench.lock.
BENCH_LOCK ?=
bench-full: setup
	$(GO) run ./bench/all -full -dir $(BENCH_DIR) -profiles $(BENCH_DIR)/profiles $(if $(BENCH_LOCK),-lock $(BENCH_LOCK))

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet $(PKGS)

$(BIN)/staticcheck:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/workflowcheck:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

staticcheck: $(BIN)/staticcheck
	./$(BIN)/staticcheck $(PKGS)

# Workflow code must be deterministic: no I/O, wall clock, global rand or map ranges.
workflowcheck: $(BIN)/workflowcheck
	./$(BIN)/workflowcheck ./workflows/...

clean:
	rm -rf $(BIN)
