# iamref build. `make demo` runs the main job, `make test` runs every test (what CI runs).
SHELL        := /bin/bash
GO           ?= go
export GOTOOLCHAIN := local
export GOFLAGS     := -buildvcs=false
BIN          := $(CURDIR)/bin
TOOLS_BIN    := $(CURDIR)/.tools/bin
PULUMI_VERSION := v3.274.1
VERSION      ?= 0.1.0
# The commit the binaries report (--version), "-dirty" when tracked files differ from it.
COMMIT       ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; })
LDFLAGS      := -s -w -X github.com/iamref/iam/internal/version.Version=$(VERSION) -X github.com/iamref/iam/internal/version.Commit=$(COMMIT)

.PHONY: all build tools prereqs test test-unit test-e2e fuzz test-fuzz test-bench-agree gen check-gen sdk-nodejs check-sdk-nodejs check-sdk-go check-sdk-dotnet check-sdk-python docs check-docs demo bench bench-authz bench-load bench-replicas bench-opa bench-pulumi lint fmt clean release-snapshot release-check chromium screenshots bench-backend

# Builds the binaries into bin/.
all: build

# iam-server, pulumi-resource-iam, terraform-provider-iam and iam-gen into bin/.
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

# Everything CI runs. Needs Go, terraform on PATH, npm (the Node.js SDK type-check) and the Go
# module proxy and npm registry; `make prereqs` says which of these is missing.
test: prereqs lint build tools check-gen check-docs check-sdk-go check-sdk-nodejs test-unit test-e2e test-bench-agree test-fuzz

# The commands the test target runs besides Go, each with what it is for.
prereqs:
	@missing=0; \
	for t in "terraform:the Terraform provider's acceptance tests and examples/terraform" \
	         "npm:type-checking sdk/nodejs and examples/typescript" \
	         "git:check-gen's comparison with the committed files" \
	         "jq:the steps of examples/github-actions-oidc's workflow (tests/ghactions)"; do \
		cmd=$${t%%:*}; why=$${t#*:}; \
		if ! command -v $$cmd >/dev/null; then echo "prereqs: $$cmd not found on PATH (needed for $$why)"; missing=1; fi; \
	done; \
	if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "prereqs: PostgreSQL's initdb not found on PATH or under /usr/lib/postgresql/*/bin (needed for the PostgreSQL and replica tests; Debian: apt-get install postgresql)"; missing=1; \
	fi; exit $$missing

# Debian's chromium, for the console's browser test (tests/console): installed with apt-get when
# /usr/bin/chromium is missing (CI runs as root on Debian); nothing to do when it is there or
# IAMREF_CHROMIUM names another browser binary.
chromium:
	@if [ -n "$$IAMREF_CHROMIUM" ] || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "chromium: /usr/bin/chromium is missing: run 'sudo apt-get install -y chromium' (or set IAMREF_CHROMIUM)"; exit 1; fi; \
	echo "chromium: installing Debian's chromium package"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

# The console's screenshots in docs/screenshots (README section "Console"), taken by the
# browser test.
screenshots: chromium
	IAMREF_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestConsole ./tests/console/

# Unit and in-process integration tests (the server over HTTP in-process, the client against
# it): every package but tests/, under -short, so tests that need built binaries skip.
test-unit:
	$(GO) test -short -count=1 -timeout 20m $$($(GO) list ./... | grep -v '/tests/')

# End-to-end tests: the real iam-server, pulumi and terraform binaries (bin/ and .tools/bin),
# PostgreSQL (a throw-away cluster from the machine's initdb/pg_ctl: the PostgreSQL store's
# conformance suite, and tests/replicas: several replicas, kill -9, database restart),
# the Terraform acceptance tests (TF_ACC), the official Pulumi Cloud Go client, and the tests
# elsewhere that start bin/iam-server (named TestBinary*).
# IAMREF_REQUIRE_BINARIES turns a missing binary into a failure instead of a skip.
E2E_ENV := IAMREF_REQUIRE_BINARIES=1 TF_ACC=1 TF_ACC_TERRAFORM_PATH="$$(command -v terraform)" CHECKPOINT_DISABLE=1 PATH="$(TOOLS_BIN):$$PATH"
test-e2e: build tools chromium
	$(E2E_ENV) $(GO) test -count=1 -timeout 30m ./tests/... ./provider/terraform/...
	$(E2E_ENV) $(GO) test -count=1 -timeout 10m -run 'TestBinary' ./server/... ./cmd/...
	$(E2E_ENV) $(GO) test -count=1 -timeout 10m ./internal/testpg/ ./server/store/postgres/

# Fuzzing: every fuzz target of the main module (each `func Fuzz…` in its _test.go files: the
# descriptor grammar, decisions against the reference semantics, strict JSON, every API body
# decoder through the real routes) for FUZZTIME each. New coverage stays in Go's cache; a
# failing input is written to the package's testdata/fuzz/<target>/, where the checked-in
# corpus lives (plain `go test` replays it): commit it with the fix.
FUZZTIME ?= 1m
fuzz:
	@set -e; $(GO) list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "fuzz: $$f ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

# The short pass of `make test`: every fuzz target for a few seconds (about a minute in all,
# mostly building the instrumented test binaries).
test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s

# The benchmark module's agreement test (every engine gives the same answers).
test-bench-agree:
	cd tests/bench && $(GO) test -count=1 -run TestEnginesAgree .

# The Pulumi schema and SDKs (sdk/go, sdk/nodejs, sdk/python, sdk/dotnet), generated in-process
# from the provider (cmd/iam-gen) with the version VERSION: no Pulumi CLI or language hosts
# needed (.NET's generator comes from pulumi-dotnet's module). GEN_OUT writes elsewhere.
GEN_OUT ?= .
gen:
	$(GO) run ./cmd/iam-gen -version $(VERSION) -out $(GEN_OUT)

# Fails when schema.json or sdk/ differ from what the provider generates: generates into a
# temporary folder and compares, leaving the tracked files alone. sdk/go.mod and sdk/go.sum are
# not generated: they are the Go SDK's module, kept by go mod tidy (see check-sdk-go, lint).
check-gen:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) run ./cmd/iam-gen -version $(VERSION) -out "$$tmp" || exit 1; \
	if ! diff -r -u schema.json "$$tmp/schema.json" >"$$tmp/diff" || ! diff -r -u -x go.mod -x go.sum sdk "$$tmp/sdk" >>"$$tmp/diff"; then \
		head -50 "$$tmp/diff"; \
		echo "check-gen: schema.json or sdk/ differ from what 'make gen' generates: run 'make gen' and commit the result"; exit 1; \
	fi

# The documentation: the API's OpenAPI 3.1 document (server/openapi/openapi.json, generated
# from the operations in server/openapi/gen and the apitype wire types; the server embeds it
# and serves it at GET /api/openapi.json) and the Terraform registry docs (docs/ from
# templates/ and examples/ by tfplugindocs, offline: scripts/tfdocs.sh).
docs: $(TOOLS_BIN)/tfplugindocs
	$(GO) run ./server/openapi/gen -apitype apitype -out server/openapi/openapi.json
	TFPLUGINDOCS=$(TOOLS_BIN)/tfplugindocs scripts/tfdocs.sh

# Fails when server/openapi/openapi.json or docs/ differ from what 'make docs' generates, or an
# example under examples/ is not valid against the provider: generates into a temporary folder
# and compares, leaving the tracked files alone.
TFDOCS_MANAGED := index.md resources data-sources guides
check-docs: $(TOOLS_BIN)/tfplugindocs
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) run ./server/openapi/gen -apitype apitype -out "$$tmp/openapi.json" || exit 1; \
	TFPLUGINDOCS=$(TOOLS_BIN)/tfplugindocs scripts/tfdocs.sh "$$tmp/tf" || exit 1; \
	diff -u server/openapi/openapi.json "$$tmp/openapi.json" >"$$tmp/diff"; stale=$$?; \
	for f in $(TFDOCS_MANAGED); do diff -r -u -N "docs/$$f" "$$tmp/tf/docs/$$f" >>"$$tmp/diff" || stale=1; done; \
	if [ $$stale != 0 ]; then \
		head -50 "$$tmp/diff"; \
		echo "check-docs: server/openapi/openapi.json or docs/ differ from what 'make docs' generates: run 'make docs' and commit the result"; exit 1; \
	fi

# tfplugindocs, pinned by tools/tfplugindocs (its own module, so the main go.mod stays lean).
$(TOOLS_BIN)/tfplugindocs: tools/tfplugindocs/go.mod tools/tfplugindocs/go.sum
	@mkdir -p $(TOOLS_BIN)
	cd tools/tfplugindocs && $(GO) build -trimpath -ldflags '-s -w' -o $@ github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs

# The release archives of .goreleaser.yaml, built locally into dist/ (a snapshot: unsigned,
# nothing published): iam-server, pulumi-resource-iam and terraform-provider-iam for linux,
# darwin and windows on amd64 and arm64, in each registry's layout
# (pulumi-resource-iam-v<version>-<os>-<arch>.tar.gz; terraform-provider-iam_<version>_<os>_<arch>.zip,
# terraform-provider-iam_<version>_SHA256SUMS covering every archive, and the _manifest.json that
# a release uploads; iam-server_<version>_<os>_<arch>.tar.gz). 18 builds: several minutes.
release-snapshot: $(TOOLS_BIN)/goreleaser
	IAMREF_VERSION=$(VERSION) IAMREF_COMMIT=$(COMMIT) $(TOOLS_BIN)/goreleaser release --snapshot --clean --skip=sign
	@v=$$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json); \
	cp terraform-registry-manifest.json "dist/terraform-provider-iam_$${v}_manifest.json"; \
	ls dist/*.tar.gz dist/*.zip dist/*_SHA256SUMS dist/*_manifest.json

# Validates .goreleaser.yaml.
release-check: $(TOOLS_BIN)/goreleaser
	$(TOOLS_BIN)/goreleaser check

# goreleaser, pinned by tools/goreleaser (its own module, so the main go.mod stays lean).
$(TOOLS_BIN)/goreleaser: tools/goreleaser/go.mod tools/goreleaser/go.sum
	@mkdir -p $(TOOLS_BIN)
	cd tools/goreleaser && $(GO) build -trimpath -ldflags '-s -w' -o $@ github.com/goreleaser/goreleaser/v2


# The Node.js SDK as users install it: sdk/nodejs copied to .tools/sdk-nodejs, its dependencies
# (@pulumi/pulumi, typescript) installed from the npm registry, compiled by its build script (tsc
# to bin/, which package.json's main and types name) and packed into bin/iamref-iam-$(VERSION).tgz
# (`npm install` that file).
NODE_SDK_DIR := $(CURDIR)/.tools/sdk-nodejs
NODE_SDK_TGZ := $(BIN)/iamref-iam-$(VERSION).tgz
sdk-nodejs:
	@mkdir -p $(NODE_SDK_DIR) $(BIN)
	find $(NODE_SDK_DIR) -mindepth 1 -maxdepth 1 ! -name node_modules ! -name package-lock.json -exec rm -rf {} +
	cp -r sdk/nodejs/. $(NODE_SDK_DIR)/
	cd $(NODE_SDK_DIR) && npm install --no-audit --no-fund --loglevel=error && npm run --silent build && \
		npm pack --silent --pack-destination $(BIN) >/dev/null
	@echo "sdk-nodejs: $(NODE_SDK_TGZ)"

# Checks the packed Node.js SDK as a user's program sees it: unpacked into node_modules/@iamref/iam
# of a folder holding the TypeScript example, which tsc type-checks against the package's types;
# then node loads it through package.json's main and uses it under Pulumi's mocks
# (tests/sdk/check-nodejs.js). Also checks that the example depends on this version's package.
check-sdk-nodejs: sdk-nodejs
	rm -rf $(NODE_SDK_DIR)/example && mkdir -p $(NODE_SDK_DIR)/example/node_modules/@iamref/iam
	tar -xzf $(NODE_SDK_TGZ) --strip-components=1 -C $(NODE_SDK_DIR)/example/node_modules/@iamref/iam
	cp examples/typescript/index.ts examples/typescript/tsconfig.json tests/sdk/check-nodejs.js $(NODE_SDK_DIR)/example/
	cd $(NODE_SDK_DIR) && npx tsc --noEmit -p example/tsconfig.json
	cd $(NODE_SDK_DIR)/example && node check-nodejs.js $(VERSION)
	@grep -q '"file:../../bin/$(notdir $(NODE_SDK_TGZ))"' examples/typescript/package.json || \
		{ echo "check-sdk-nodejs: examples/typescript/package.json must depend on file:../../bin/$(notdir $(NODE_SDK_TGZ))"; exit 1; }

# The Go SDK is its own module, github.com/iamref/iam/sdk (sdk/go.mod), so that its users do
# not inherit the server's dependencies; the main module does not use it. Its two users here
# are modules of their own with a replace: tests/sdkgo (a program under Pulumi's mocks) and
# examples/go. Builds and vets all three, runs the test, and checks that the SDK requires the
# Pulumi Go SDK at the version go.mod pins (the generated code needs one at least as new as the
# codegen that wrote it).
GO_SDK_MODULES := sdk tests/sdkgo examples/go
check-sdk-go:
	cd sdk && $(GO) build ./... && $(GO) vet ./...
	cd examples/go && $(GO) build -o /dev/null . && $(GO) vet ./...
	cd tests/sdkgo && $(GO) vet ./... && $(GO) test -count=1 ./...
	@want=$$($(GO) list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3) && \
	got=$$(cd sdk && $(GO) list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3) && \
	if [ "$$want" != "$$got" ]; then \
		echo "check-sdk-go: sdk/go.mod selects github.com/pulumi/pulumi/sdk/v3 $$got, go.mod $$want: run 'cd sdk && go get github.com/pulumi/pulumi/sdk/v3@$$want && go mod tidy'"; exit 1; \
	fi

# Builds the .NET SDK (sdk/dotnet, NuGet package IamRef.Iam) in a copy under .tools/ when dotnet
# is installed (restoring the Pulumi package from NuGet); skips otherwise. Not part of test: the
# project's machines have no dotnet, so this has not been run here.
check-sdk-dotnet:
	@if ! command -v dotnet >/dev/null; then echo "check-sdk-dotnet: dotnet not found, skipped"; exit 0; fi; \
	rm -rf $(CURDIR)/.tools/sdk-dotnet && mkdir -p $(CURDIR)/.tools && cp -r sdk/dotnet $(CURDIR)/.tools/sdk-dotnet && \
	cd $(CURDIR)/.tools/sdk-dotnet && dotnet build -nologo

# The Python SDK without PyPI (which its pulumi dependency comes from): every module compiles,
# and its package metadata (setuptools' PKG-INFO from pyproject.toml) and pulumi-plugin.json carry
# the provider's version; the Python example matches the SDK. Skips without python3; also part
# of test-e2e (tests/sdk).
check-sdk-python:
	$(GO) test -count=1 -run '^TestPython' ./tests/sdk/

# The main job: a server, the YAML example applied with the real pulumi CLI, and what the
# issued token may and may not do (scripts/demo.sh; everything in a temporary folder).
demo: build tools
	scripts/demo.sh

# Wall time of pulumi up / refresh / destroy for a 300-resource program (a measurement), then
# of the same graph against a no-op provider (tests/pulumi/noopprovider), with the ratios: on
# SQLite (TestScale), then on two replicas on a throw-away PostgreSQL (TestScalePostgres:
# created through one replica, updated, refreshed and destroyed through the other).
bench-pulumi: build tools
	IAMREF_PULUMI_SCALE=300 $(GO) test -count=1 -v -timeout 30m -run 'TestScale$$|TestScalePostgres$$' ./tests/pulumi/ | grep -E 'resources:|PASS|FAIL'

# Wall time of pulumi up / unchanged up / destroy of a 300-resource program with the iamref
# server as the state backend, against Pulumi's file backend in the same run (a measurement).
bench-backend: build tools
	IAMREF_PULUMI_SCALE=300 $(GO) test -count=1 -v -run TestBackendScale ./tests/backend/ | grep -E 'resources:|PASS|FAIL'

# Formats every Go file but the generated SDK.
fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '^sdk/')

# gofmt, go vet and tidy go.mod files, for the main module and the benchmark module; tidy for
# the Go SDK's module (check-sdk-go vets it).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^sdk/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; }
	cd tests/bench && $(GO) mod tidy -diff || { echo "tests/bench/go.mod is not tidy: run 'cd tests/bench && go mod tidy'"; exit 1; }
	@for m in $(GO_SDK_MODULES); do (cd $$m && $(GO) mod tidy -diff) || { echo "$$m/go.mod is not tidy: run 'cd $$m && go mod tidy'"; exit 1; }; done
	cd tests/bench && $(GO) vet ./...

# Removes built binaries, tools, the Node.js SDK check folder and benchmark output.
clean:
	rm -rf $(BIN) .tools $(BENCH_OUT) dist

# Decision micro-benchmark: iamref's compiled index against cedar-go, casbin and a naive map
# checker on one workload (tests/bench, its own module so the peers stay out of go.mod); then
# the tag workload (100,000 tagged stacks, 10,000 roles, 1,000 policies): tag-condition against
# plain ID decisions, cedar-go with entity attributes, flatness from 1,000 stacks, per-principal
# compile time and memory, and GET /api/user/stacks on the in-process server (kept in
# $(BENCH_OUT)/tags.txt; several minutes).
# The raw output is kept in $(BENCH_OUT)/decide.txt; benchtable then prints the markdown summary
# (it is built after the run so that compiling it does not compete with the timings).
BENCH_OUT ?= $(CURDIR)/.bench
bench: bench-authz bench-load bench-replicas bench-opa

bench-authz:
	@mkdir -p $(BENCH_OUT)
	set -o pipefail; cd tests/bench && \
	$(GO) test -run '^$$' -bench BenchmarkDecide -benchtime 1s -count 5 -benchmem . | tee $(BENCH_OUT)/decide.txt && \
	$(GO) run ./cmd/benchtable < $(BENCH_OUT)/decide.txt
	set -o pipefail; cd tests/bench && \
	$(GO) test -run '^$$' -bench 'BenchmarkTags$$|BenchmarkTagRatios|BenchmarkTagCompile|BenchmarkTagListing' -benchtime 1s -count 3 -benchmem -timeout 60m . | tee $(BENCH_OUT)/tags.txt && \
	$(GO) run ./cmd/benchtable -base iamref-id -explain iamref-tag -peer cedar-sliced-tag -peer-of iamref-tag -flat-of iamref-tag < $(BENCH_OUT)/tags.txt

# Load test on loopback: the load program starts bin/iam-server on a free port with a temporary
# database, seeds 1,000 roles, 10,000 stacks, 100 environments and 1,000 tokens, measures access
# checks (batches, single, open loop at fixed rates), token creation and the GET /healthz floor,
# prints a markdown table (kept in $(BENCH_OUT)/load.md) and stops the server; about a minute.
# Flags: go run ./tests/load -h (e.g. LOAD_FLAGS='-c 16 -d 10s').
bench-load: build
	@mkdir -p $(BENCH_OUT)
	set -o pipefail; $(GO) run ./tests/load -server $(BIN)/iam-server $(LOAD_FLAGS) | tee $(BENCH_OUT)/load.md

# The same load test against two replicas of bin/iam-server on one PostgreSQL database: a
# throw-away cluster started from the machine's initdb/pg_ctl (internal/testpg, as the tests do),
# seeded through one replica, every generated decision checked on both, the timed requests
# alternating between them; server CPU is both replicas plus PostgreSQL's processes, whose
# share has a column of its own (kept in $(BENCH_OUT)/replicas.md; about a minute).
bench-replicas: build
	@mkdir -p $(BENCH_OUT)
	set -o pipefail; $(GO) run ./tests/load -server $(BIN)/iam-server -replicas 2 $(LOAD_FLAGS) | tee $(BENCH_OUT)/replicas.md

# The same load test against a peer over HTTP in the same run: OPA's server (`opa run --server`)
# with the grant model as Rego (tests/load/iamref.rego) and data, the same generated checks and
# load; OPA's answers are checked against the grant model before anything is timed. OPA is
# pinned (v1.22.3) and built from tests/opa, a module of its own so its dependencies stay out
# of go.mod; the build is heavy (minutes), so it runs here, never in `make test`.
OPA_BIN ?= $(BENCH_OUT)/opa
bench-opa: build
	@mkdir -p $(BENCH_OUT)
	cd tests/opa && $(GO) build -o $(OPA_BIN) github.com/open-policy-agent/opa
	set -o pipefail; $(GO) run ./tests/load -server $(BIN)/iam-server -opa $(OPA_BIN) \
		-only batch,batch-rate,single,opa-batch,opa-batch-rate,opa-single $(LOAD_FLAGS) | tee $(BENCH_OUT)/opa.md
