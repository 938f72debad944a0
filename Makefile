# dmake's own build. Plain GNU make (or dmake itself) runs it.
GO      ?= go
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
GOBIN   := $(CURDIR)/bin
# Tests run with the race detector unless RACE= is given.
RACE    ?= -race

.PHONY: all build install test lint bench builtin

all: build

build:
	$(GO) build -o $(GOBIN)/ ./cmd/...

install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(GOBIN)/dmake $(GOBIN)/dmaked $(DESTDIR)$(BINDIR)/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The tests run makes of their own: this make's MAKEFLAGS (jobserver fds
# included) and MAKELEVEL must not leak into them.
CLEAN_MAKE_ENV := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u GNUMAKEFLAGS -u MAKEFILES

test: lint
	$(CLEAN_MAKE_ENV) $(GO) test $(RACE) -timeout 15m ./...

# The speed tables: dmake beside GNU make 4.3 (bench-make), then the Go
# benchmarks (the cluster's capacity and failover among them).
bench: build bench-make
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# GNU make 4.3's builtin rules and variables, regenerated from make itself.
builtin:
	python3 scripts/gen-builtin.py > pkg/graph/eval/builtin.mk

# proto, realworld, bench-make, images, cluster-up/down, e2e
include $(sort $(wildcard mk/*.mk))
