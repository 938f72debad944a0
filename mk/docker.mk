# Container images, a local 7-node cluster, and the end-to-end suite.
# Included by the top Makefile; also usable alone: make -f mk/docker.mk images
#
#   make images         static dmaked + dmake, the base image if missing
#                       (debootstrap, see deploy/base/mkbase.sh), then
#                       dmake/dmaked:dev and dmake/worker:dev
#   make cluster-up     3 coordinators + 4 workers (deploy/compose.yaml);
#                       waits for a leader and 4 workers
#   make cluster-down   stop it and delete its data volumes
#   make e2e            images, then the e2e suite (e2e/, build tag e2e),
#                       which brings its own cluster up and down
#
# Variables: IMAGES_REV (build the binaries from a commit), DMAKE_SHARED (shared tree, default /tmp/dmake-shared), COMPOSE
# (docker compose or docker-compose, found automatically), E2E_RUN (a -run
# pattern), E2E_FLAGS (more go test flags); see deploy/compose.yaml for the
# cluster's own variables.

GO            ?= go
DOCKER        ?= docker
DOCKER_CACHE  ?= $(CURDIR)/.cache/docker
DOCKER_STAGE  := $(DOCKER_CACHE)/stage
BASE_IMAGE    ?= dmake-base:local
DMAKED_IMAGE  ?= dmake/dmaked:dev
WORKER_IMAGE  ?= dmake/worker:dev
DMAKE_SHARED  ?= /tmp/dmake-shared
COMPOSE_FILE  := $(CURDIR)/deploy/compose.yaml
COMPOSE_PROJECT ?= dmake
COMPOSE       ?= $(shell if $(DOCKER) compose version >/dev/null 2>&1; then echo '$(DOCKER) compose'; \
                   elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)
CLUSTER_ADDRS ?= 127.0.0.1:$(or $(DMAKE_C1_PORT),17411),127.0.0.1:$(or $(DMAKE_C2_PORT),17412),127.0.0.1:$(or $(DMAKE_C3_PORT),17413)
E2E_RUN       ?= .
E2E_FLAGS     ?=

export DMAKE_SHARED

.PHONY: images images-bin cluster-up cluster-down e2e

# The binaries are static (no cgo), so the same files run on scratch, on the
# worker base and on the host.
# IMAGES_REV=HEAD (or any commit) builds them from that commit, exported
# with git archive, instead of the working tree.
images-bin:
	mkdir -p $(DOCKER_STAGE)
ifeq ($(IMAGES_REV),)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(DOCKER_STAGE)/ ./cmd/dmaked ./cmd/dmake
else
	rm -rf $(DOCKER_CACHE)/src && mkdir -p $(DOCKER_CACHE)/src
	git archive $(IMAGES_REV) | tar -x -C $(DOCKER_CACHE)/src
	cd $(DOCKER_CACHE)/src && CGO_ENABLED=0 $(GO) build -trimpath -o $(DOCKER_STAGE)/ ./cmd/dmaked ./cmd/dmake
endif

images: images-bin
	deploy/base/mkbase.sh $(BASE_IMAGE)
	$(DOCKER) build -q -f deploy/Dockerfile.dmaked -t $(DMAKED_IMAGE) $(DOCKER_STAGE)
	$(DOCKER) build -q -f deploy/Dockerfile.worker --build-arg BASE=$(BASE_IMAGE) -t $(WORKER_IMAGE) $(DOCKER_STAGE)

cluster-up:
	@test -n "$(COMPOSE)" || { echo "cluster-up: neither 'docker compose' nor docker-compose is installed" >&2; exit 1; }
	@$(DOCKER) image inspect $(DMAKED_IMAGE) $(WORKER_IMAGE) >/dev/null 2>&1 || \
		{ echo "cluster-up: run 'make images' first" >&2; exit 1; }
	mkdir -p $(DMAKE_SHARED)
	DMAKE_UID=$${DMAKE_UID:-$$(id -u)} DMAKE_GID=$${DMAKE_GID:-$$(id -g)} \
		$(COMPOSE) -f $(COMPOSE_FILE) -p $(COMPOSE_PROJECT) up -d
	@echo "cluster-up: waiting for a leader and 4 workers"
	@for i in $$(seq 120); do \
		out=$$($(DOCKER_STAGE)/dmaked status -c $(CLUSTER_ADDRS) 2>/dev/null) && \
		echo "$$out" | grep -q '^workers up: 4$$' && ! echo "$$out" | grep -q '^leader:  ' && \
		{ echo "$$out"; echo "cluster-up: ready; dmake --cluster $(CLUSTER_ADDRS), tree in $(DMAKE_SHARED)"; exit 0; }; \
		sleep 1; done; \
	echo "cluster-up: no leader with 4 workers after 120 s" >&2; \
	$(COMPOSE) -f $(COMPOSE_FILE) -p $(COMPOSE_PROJECT) logs --tail 20 >&2; exit 1

cluster-down:
	@test -n "$(COMPOSE)" || { echo "cluster-down: neither 'docker compose' nor docker-compose is installed" >&2; exit 1; }
	$(COMPOSE) -f $(COMPOSE_FILE) -p $(COMPOSE_PROJECT) down -v --timeout 5

# The suite skips itself, saying why, when no Docker engine answers; then
# the images are not built either.
e2e:
	@if $(DOCKER) info >/dev/null 2>&1; then $(MAKE) -f $(firstword $(MAKEFILE_LIST)) images; \
	else echo "e2e: no Docker engine; the suite will skip"; fi
	DMAKE_E2E_STAGE=$(DOCKER_STAGE) DMAKE_E2E_COMPOSE='$(COMPOSE)' \
		$(GO) test -tags e2e -count=1 -timeout 18m -v -run '$(E2E_RUN)' $(E2E_FLAGS) ./e2e/
