// Package e2e is dmake's end-to-end suite: a real cluster of separate hosts
// (containers from deploy/compose.yaml: 3 coordinators, 4 workers, a shared
// build tree), a real C project fetched from Debian's source packages, and
// the faults real clusters see (docker kill, pause, network disconnect,
// coordinator restarts, drains, a killed client).
//
// The tests carry the build tag e2e and are run by `make e2e`, which builds
// the images first (mk/docker.mk). Without a Docker engine every test skips,
// saying so. Each test brings up its own cluster (compose project
// dmake-e2e, network $DMAKE_E2E_NET.0/24, coordinator ports 17421-17423 on
// 127.0.0.1) and takes it down at the end; DMAKE_E2E_KEEP=1 leaves the last
// one running for inspection. -short skips TestWorkerFaults, whose faults
// the build scenarios inject too.
//
// Per scenario the suite builds the project with `dmake --cluster ADDRS -jN`
// from the host, inside the shared tree, and checks:
//
//   - the build succeeded, and its files equal those of a plain GNU make
//     build of the same tree at the same path (same list, same bytes);
//   - the cluster's own attempt records (the build's events: step started,
//     lost, finished, with attempt, worker and leader-stamped time) show no
//     step running on two workers at once, every step finished exactly
//     once, and every requeue carries a reason the scenario explains;
//   - nothing changed in the tree after the build ended (a fenced worker's
//     late writes would).
//
// Environment:
//
//	DMAKE_E2E_PROJECT          lua (default: 99 steps, 33 compiles, 3 links/archives)
//	                           or zlib, redis, git (git: hundreds of compiles, slow on 2 cores)
//	DMAKE_E2E_STAGE            directory holding the dmaked and dmake binaries
//	                           the images were built from (.cache/docker/stage)
//	DMAKE_E2E_COMPOSE          "docker compose" or "docker-compose" (detected)
//	DMAKE_E2E_REQUIRE_CLUSTER  fail, rather than skip, the build scenarios
//	                           when `dmake --cluster` does not build on the cluster
//	DMAKE_E2E_KEEP             leave the last cluster running
package e2e
