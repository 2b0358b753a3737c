# iamref build. `make demo` runs the main job, `make test` runs every test (what CI runs).
SHELL        := /bin/bash
GO           ?= go
export GOTOOLCHAIN := local
export GOFLAGS     := -buildvcs=false
BIN          := $(CURDIR)/bin
TOOLS_BIN    := $(CURDIR)/.tools/bin
PULUMI_VERSION := v3.274.1
VERSION      ?= 0.1.0
LDFLAGS      := -s -w -X github.com/iamref/iam/internal/version.Version=$(VERSION)

.PHONY: all build tools test test-unit test-bench-agree gen check-gen check-sdk-nodejs demo bench bench-authz bench-load bench-pulumi lint fmt clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# The Pulumi CLI and the YAML language host, built from the Go module proxy (tools/pulumi pins
# them) unless a pulumi of the pinned version is already on PATH.
tools: $(TOOLS_BIN)/pulumi $(TOOLS_BIN)/pulumi-language-yaml

$(TOOLS_BIN)/pulumi: tools/pulumi/go.mod tools/pulumi/go.sum
	@mkdir -p $(TOOLS_BIN)
	@installed=$$(command -v pulumi || true); \
	if [ -n "$$installed" ] && [ "$$($$installed version 2>/dev/null)" = "$(PULUMI_VERSION)" ]; then \
		echo "tools: reusing $$installed"; ln -sf "$$installed" $@; \
	else \
		echo "tools: building pulumi $(PULUMI_VERSION) (a few minutes on a cold cache)"; \
		cd tools/pulumi && $(GO) build -trimpath -ldflags '-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)' \
			-o $@ github.com/pulumi/pulumi/pkg/v3/cmd/pulumi; \
	fi

$(TOOLS_BIN)/pulumi-language-yaml: tools/pulumi/go.mod tools/pulumi/go.sum
	@mkdir -p $(TOOLS_BIN)
	@installed=$$(command -v pulumi-language-yaml || true); \
	if [ -n "$$installed" ]; then \
		echo "tools: reusing $$installed"; ln -sf "$$installed" $@; \
	else \
		echo "tools: building pulumi-language-yaml"; \
		cd tools/pulumi && $(GO) build -trimpath -ldflags '-s -w' -o $@ github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml; \
	fi

# Everything CI runs. Needs nothing but Go, terraform on PATH, and the module proxy.
test: lint build tools check-gen check-sdk-nodejs test-unit test-bench-agree

# Unit, integration and end-to-end tests. The end-to-end tests use bin/ and .tools/bin;
# IAMREF_REQUIRE_BINARIES turns a missing binary into a failure instead of a skip.
test-unit:
	IAMREF_REQUIRE_BINARIES=1 TF_ACC=1 TF_ACC_TERRAFORM_PATH="$$(command -v terraform)" CHECKPOINT_DISABLE=1 \
		PATH="$(TOOLS_BIN):$$PATH" $(GO) test -count=1 -timeout 30m ./...

# The benchmark module's agreement test (every engine gives the same answers).
test-bench-agree:
	cd tests/bench && $(GO) test -count=1 -run TestEnginesAgree .

# The Pulumi schema and SDKs (sdk/go, sdk/nodejs, sdk/python), generated in-process from the
# provider (cmd/iam-gen): no Pulumi CLI or language hosts needed.
gen:
	$(GO) run ./cmd/iam-gen

# Fails when schema.json or sdk/ are not what the provider generates (regenerates in place).
check-gen: gen
	@if ! git diff --quiet -- schema.json sdk/; then \
		git diff --stat -- schema.json sdk/; \
		echo "check-gen: schema.json or sdk/ differ from the committed files: run 'make gen' and commit the result"; exit 1; \
	fi
	@untracked=$$(git ls-files --others --exclude-standard -- schema.json sdk/); if [ -n "$$untracked" ]; then \
		echo "$$untracked"; \
		echo "check-gen: generated files above are not committed: run 'make gen' and commit the result"; exit 1; \
	fi

# Type-checks the generated Node.js SDK and the TypeScript example against it (npm install of
# @pulumi/pulumi into .tools/, then tsc).
NODE_SDK_DIR := $(CURDIR)/.tools/sdk-nodejs
check-sdk-nodejs:
	@mkdir -p $(NODE_SDK_DIR)/example
	cp -r sdk/nodejs/. $(NODE_SDK_DIR)/
	cp examples/typescript/index.ts examples/typescript/tsconfig.sdkcheck.json $(NODE_SDK_DIR)/example/
	cd $(NODE_SDK_DIR) && npm install --no-audit --no-fund --loglevel=error && npx tsc --noEmit -p . && npx tsc -p example/tsconfig.sdkcheck.json

# The main job: a server, the YAML example applied with the real pulumi CLI, and what the
# issued token may and may not do (scripts/demo.sh; everything in a temporary folder).
demo: build tools
	scripts/demo.sh

# Wall time of pulumi up / refresh / destroy for a 300-resource program (a measurement).
bench-pulumi: build tools
	IAMREF_PULUMI_SCALE=300 $(GO) test -count=1 -v -run TestScale ./tests/pulumi/ | grep -E 'resources:|PASS|FAIL'

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '^sdk/')

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^sdk/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; }
	cd tests/bench && $(GO) mod tidy -diff || { echo "tests/bench/go.mod is not tidy: run 'cd tests/bench && go mod tidy'"; exit 1; }
	cd tests/bench && $(GO) vet ./...

clean:
	rm -rf $(BIN) .tools

# Decision micro-benchmark: iamref's compiled index against cedar-go, casbin and a naive map
# checker on one workload (tests/bench, its own module so the peers stay out of go.mod).
# The raw output is kept in /tmp/iamref-bench.txt; benchtable then prints the markdown summary
# (it is built after the run so that compiling it does not compete with the timings).
bench: bench-authz bench-load

bench-authz:
	set -o pipefail; cd tests/bench && \
	$(GO) test -run '^$$' -bench BenchmarkDecide -benchtime 1s -count 5 -benchmem . | tee /tmp/iamref-bench.txt && \
	$(GO) run ./cmd/benchtable < /tmp/iamref-bench.txt

# Load test on loopback: the load program starts bin/iam-server on a free port with a temporary
# database, seeds 1,000 roles, 10,000 stacks, 100 environments and 1,000 tokens, measures access
# checks (batches, single, open loop at fixed rates), token creation and the GET /healthz floor,
# prints a markdown table (kept in /tmp/iamref-load.md) and stops the server; about a minute.
# Flags: go run ./tests/load -h (e.g. LOAD_FLAGS='-c 16 -d 10s').
bench-load: build
	set -o pipefail; $(GO) run ./tests/load -server $(BIN)/iam-server $(LOAD_FLAGS) | tee /tmp/iamref-load.md
