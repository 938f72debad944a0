# Benchmarks of dmake beside GNU make 4.3: see docs/benchmarks.md.
# Included by the top Makefile.
#
#   make bench-make                        # bin/dmake (built first) vs /usr/bin/make
#   make bench-make DMAKE=/usr/bin/make    # sanity: GNU make against itself
#   make bench-make BENCH_FLAGS='-rows a -runs 9 -v'
GO          ?= go
BENCH_FLAGS ?=

.PHONY: bench-make
bench-make: $(if $(DMAKE),,build)
	$(GO) run ./scripts/bench/benchmake -top '$(CURDIR)' -dmake '$(or $(DMAKE),$(CURDIR)/bin/dmake)' $(BENCH_FLAGS)
