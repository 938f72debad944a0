# dmake's own build. Plain GNU make (or dmake itself) runs it.
GO      ?= go
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
GOBIN   := $(CURDIR)/bin
# Tests run with the race detector unless RACE= is given.
RACE    ?= -race

.PHONY: all build install test lint bench proto realworld

all: build

build:
	$(GO) build -o $(GOBIN)/ ./cmd/...

install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(GOBIN)/dmake $(GOBIN)/dmaked $(DESTDIR)$(BINDIR)/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: lint
	$(GO) test $(RACE) -timeout 15m ./...

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
