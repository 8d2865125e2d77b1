# allot — make targets. `make help` lists them.
GO ?= go
ENGINE_PKGS := . ./rules/... ./routing/... ./engine/...
RACE_PKGS := $(ENGINE_PKGS) ./node/... ./store/... ./httpapi/... ./cmd/allot/

.PHONY: help test race bench icount calibrate rounds check fmt vet

help: ## list targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: ## run every test (the README's test command)
	$(GO) test ./...

race: ## run the engine and server-core packages under the race detector
	$(GO) test -race $(RACE_PKGS)

bench: ## run the benchmarks (figures go to docs/performance.md)
	$(GO) test -run '^$$' -bench . -benchmem $(ENGINE_PKGS)

calibrate: ## this machine's memory latency and speed now: record it beside every timing
	go run ./internal/tools/memlat

rounds: ## the decision benchmark in 8 rounds, each between two calibrations, with medians
	internal/tools/rounds/rounds.sh 8 'Decision'

icount: ## instructions and simulated cache misses per decision (cachegrind; noise-free)
	internal/tools/icount/icount.sh "" 'Decision/explained$$'
	internal/tools/icount/icount.sh "" 'Decision/summary'

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

vet: ## go vet
	$(GO) vet ./...

check: ## what CI checks: gofmt, vet, tests, race
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race $(RACE_PKGS)
