//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster/client"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// The suite's cluster: its own compose project, network, ports and shared
// tree, so that it never meets a cluster started by `make cluster-up`.
const (
	project   = "dmake-e2e"
	defNet    = "172.29.54"
	basePort  = 17421
	sharedDir = "/tmp/dmake-e2e-shared"
)

// Short leases so that faults resolve within seconds; each is a named flag
// of dmaked coordinator (see docs/cluster.md).
var timing = map[string]string{
	"DMAKE_WORKER_TTL":       "5s",
	"DMAKE_WORKER_GRACE":     "2s",
	"DMAKE_HEARTBEAT":        "1s",
	"DMAKE_FAILOVER_GRACE":   "5s",
	"DMAKE_RAFT_HEARTBEAT":   "1s",
	"DMAKE_LOSS_BACKOFF":     "0s,1s,2s",
	"DMAKE_SLOTS":            "4",
	"DMAKE_SHARED":           sharedDir,
	"COMPOSE_HTTP_TIMEOUT":   "120",
	"DMAKE_C1_PORT":          fmt.Sprint(basePort),
	"DMAKE_C2_PORT":          fmt.Sprint(basePort + 1),
	"DMAKE_C3_PORT":          fmt.Sprint(basePort + 2),
	"DMAKE_UID":              fmt.Sprint(os.Getuid()),
	"DMAKE_GID":              fmt.Sprint(os.Getgid()),
	"COMPOSE_IGNORE_ORPHANS": "1",
}

// Lease is how long a silent worker keeps its steps (TTL + grace above).
// With a 3 s TTL, workers on a loaded 2-core machine sometimes fenced
// themselves with no fault injected; 5 s has not shown that.
const lease = 7 * time.Second

var (
	repoTop    = mustAbs("..")
	composeYML = filepath.Join(repoTop, "deploy", "compose.yaml")
	netPrefix  = envOr("DMAKE_E2E_NET", defNet)
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// stageDir holds the dmaked and dmake binaries that went into the images;
// the host runs the same ones.
func stageDir() string {
	return envOr("DMAKE_E2E_STAGE", filepath.Join(repoTop, ".cache", "docker", "stage"))
}

// composeCmd is "docker compose" or "docker-compose", whichever works.
func composeCmd() []string {
	if c := os.Getenv("DMAKE_E2E_COMPOSE"); c != "" {
		return strings.Fields(c)
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		return []string{p}
	}
	return nil
}

// requireDocker skips the test, saying why, when there is no Docker engine,
// no compose, or not Linux; it fails it when the images are missing.
func requireDocker(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("e2e: skipped: needs Linux (the host reaches the containers' network directly)")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("e2e: skipped: no docker command on PATH")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("e2e: skipped: no Docker engine answers (docker info: %v: %s)", err, bytes.TrimSpace(out))
	}
	if composeCmd() == nil {
		t.Skip("e2e: skipped: neither 'docker compose' nor docker-compose is installed")
	}
	for _, img := range []string{"dmake/dmaked:dev", "dmake/worker:dev"} {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			t.Fatalf("e2e: image %s is missing: run 'make images' (make e2e does)", img)
		}
	}
	for _, b := range []string{"dmaked", "dmake"} {
		if _, err := os.Stat(filepath.Join(stageDir(), b)); err != nil {
			t.Fatalf("e2e: %v: run 'make images'", err)
		}
	}
}

// Cluster is one compose cluster brought up for one test.
type Cluster struct {
	t     *testing.T
	Addrs []string // coordinators' published gRPC addresses on 127.0.0.1
	cl    *client.Client
	extra []string // containers started outside compose (new workers)
	env   []string // compose's environment
}

// leaseOverLeaderChange are timings under which a worker's lease outlasts a
// leader election and the workers' reconnection (about 4 s with a 1 s Raft
// heartbeat): without them a leader change makes workers fence themselves,
// which the leader scenarios must not confuse with a loss.
var leaseOverLeaderChange = []string{"DMAKE_WORKER_TTL=8s", "DMAKE_WORKER_GRACE=2s", "DMAKE_FAILOVER_GRACE=10s"}

// startCluster brings a fresh cluster up (old containers and data volumes of
// the project removed first) and waits for a leader and 4 ready workers. At
// the end of the test it is taken down; on failure its logs are printed.
//
// overrides replaces some of the timing variables for this cluster, e.g.
// longer leases for the coordinator scenarios.
func startCluster(t *testing.T, overrides ...string) *Cluster {
	t.Helper()
	requireDocker(t)
	c := &Cluster{t: t, env: composeEnv()}
	for _, kv := range overrides {
		c.env = append(c.env, kv)
	}
	for i := range 3 {
		c.Addrs = append(c.Addrs, fmt.Sprintf("127.0.0.1:%d", basePort+i))
	}
	if err := os.MkdirAll(sharedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Leftovers of an earlier run: workers started outside compose (they
	// would keep the network, and so the data volumes, from being removed),
	// then the compose project itself.
	if ids, err := exec.Command("docker", "ps", "-aq", "--filter", "name=^"+project+"-w").Output(); err == nil && len(bytes.TrimSpace(ids)) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, strings.Fields(string(ids))...)...).Run()
	}
	if out, err := c.compose("down", "-v", "--timeout", "1"); err != nil {
		t.Fatalf("compose down (cleaning an earlier run): %v\n%s", err, out)
	}
	start := time.Now()
	c.mustCompose("up", "-d")
	c.cl = client.New(c.Addrs)
	t.Cleanup(c.teardown)
	c.WaitFor("a leader and 4 ready workers", 90*time.Second, func() bool {
		return c.LeaderID() != "" && c.ReadyWorkers() == 4
	})
	t.Logf("cluster up in %.1fs: leader %s", time.Since(start).Seconds(), c.LeaderID())
	return c
}

func (c *Cluster) teardown() {
	if c.t.Failed() {
		out, _ := c.compose("logs", "--no-color", "--tail", "40")
		c.t.Logf("cluster logs (last 40 lines each):\n%s", out)
	}
	c.cl.Close()
	if os.Getenv("DMAKE_E2E_KEEP") != "" {
		c.t.Logf("DMAKE_E2E_KEEP: cluster %s left running", project)
		return
	}
	for _, id := range c.extra {
		_ = exec.Command("docker", "rm", "-f", id).Run()
	}
	c.compose("down", "-v", "--timeout", "1")
}

func composeEnv() []string {
	env := os.Environ()
	for k, v := range timing {
		env = append(env, k+"="+v)
	}
	return append(env, "DMAKE_NET="+netPrefix)
}

func (c *Cluster) compose(args ...string) (string, error) {
	cmd := composeCmd()
	full := append(append(cmd[1:], "-f", composeYML, "-p", project), args...)
	x := exec.Command(cmd[0], full...)
	x.Env = c.env
	out, err := x.CombinedOutput()
	return string(out), err
}

func (c *Cluster) mustCompose(args ...string) string {
	c.t.Helper()
	out, err := c.compose(args...)
	if err != nil {
		c.t.Fatalf("compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Container returns the container ID of a compose service (c1..c3, w1..w4).
func (c *Cluster) Container(svc string) string {
	c.t.Helper()
	id := strings.TrimSpace(c.mustCompose("ps", "-q", svc))
	if id == "" {
		c.t.Fatalf("no container for service %s", svc)
	}
	return id
}

// Docker runs a docker command and fails the test if it fails.
func (c *Cluster) Docker(args ...string) string {
	c.t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.t.Logf("docker %s", strings.Join(args, " "))
	return string(out)
}

// The fault injections, each on a compose service.

func (c *Cluster) Kill(svc string)  { c.Docker("kill", c.Container(svc)) }
func (c *Cluster) Start(svc string) { c.Docker("start", c.Container(svc)) }

// Pause freezes every process of a service (cgroup freezer). Freezing can
// fail while the container forks quickly (runc: "unable to freeze"), so it
// is retried a few times.
func (c *Cluster) Pause(svc string) {
	c.t.Helper()
	id := c.Container(svc)
	for i := 0; ; i++ {
		out, err := exec.Command("docker", "pause", id).CombinedOutput()
		if err == nil {
			c.t.Logf("docker pause %s", id)
			return
		}
		if i == 9 || !strings.Contains(string(out), "freeze") {
			c.t.Fatalf("docker pause %s: %v\n%s", id, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) Unpause(svc string) { c.Docker("unpause", c.Container(svc)) }

// Restart stops a service with SIGTERM (a coordinator shuts down, a worker
// drains) and starts it again from its data.
func (c *Cluster) Restart(svc string) { c.Docker("restart", "-t", "10", c.Container(svc)) }

// Network is the compose project's private network.
func (c *Cluster) Network() string { return project + "_dmake" }

// Disconnect partitions a service from every other node and from the host.
func (c *Cluster) Disconnect(svc string) {
	c.Docker("network", "disconnect", c.Network(), c.Container(svc))
}

// Connect heals the partition (coordinators get their fixed address back).
func (c *Cluster) Connect(svc string) {
	args := []string{"network", "connect"}
	if n, ok := strings.CutPrefix(svc, "c"); ok {
		args = append(args, "--ip", fmt.Sprintf("%s.1%s", netPrefix, n))
	}
	c.Docker(append(args, c.Network(), c.Container(svc))...)
}

// NewWorker starts a worker container outside compose, on the cluster's
// network with the shared tree, named name; it is removed at the end.
func (c *Cluster) NewWorker(name string) {
	c.t.Helper()
	coords := fmt.Sprintf("%[1]s.11:7400,%[1]s.12:7400,%[1]s.13:7400", netPrefix)
	id := strings.TrimSpace(c.Docker("run", "-d", "--name", project+"-"+name, "--network", c.Network(),
		"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), "-v", sharedDir+":"+sharedDir,
		"dmake/worker:dev", "worker", "--name", name, "--slots", timing["DMAKE_SLOTS"], "--coordinators", coords))
	c.extra = append(c.extra, id)
}

// Client is a cluster client on the published addresses.
func (c *Cluster) Client() *client.Client { return c.cl }

func (c *Cluster) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// Status asks any coordinator; nil if none answers within 5 s.
func (c *Cluster) Status() *pb.StatusResponse {
	ctx, cancel := c.ctx()
	defer cancel()
	st, err := c.cl.Status(ctx)
	if err != nil {
		return nil
	}
	return st
}

// LeaderID is the leader's node ID as a coordinator reports it, "" if none.
func (c *Cluster) LeaderID() string {
	if st := c.Status(); st != nil {
		return st.LeaderId
	}
	return ""
}

// Workers lists the workers; nil on error.
func (c *Cluster) Workers() []*pb.WorkerInfo {
	ctx, cancel := c.ctx()
	defer cancel()
	ws, _ := c.cl.Workers(ctx)
	return ws
}

// WorkerStatus is a worker's status (ready, draining, down), "" if unknown.
func (c *Cluster) WorkerStatus(id string) string {
	for _, w := range c.Workers() {
		if w.Id == id {
			return w.Status
		}
	}
	return ""
}

// ReadyWorkers counts the workers that are ready.
func (c *Cluster) ReadyWorkers() int {
	n := 0
	for _, w := range c.Workers() {
		if w.Status == "ready" {
			n++
		}
	}
	return n
}

// Builds lists the builds; nil on error.
func (c *Cluster) Builds() []*pb.BuildInfo {
	ctx, cancel := c.ctx()
	defer cancel()
	bs, _ := c.cl.Builds(ctx)
	return bs
}

// WaitFor polls cond every 200 ms until it holds, or fails the test.
func (c *Cluster) WaitFor(what string, limit time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Dmaked runs the host's dmaked (the binary in the images) against the
// cluster (through DMAKE_CLUSTER), e.g. Dmaked("operator", "raft", "list-peers").
func (c *Cluster) Dmaked(args ...string) (string, error) {
	x := exec.Command(filepath.Join(stageDir(), "dmaked"), args...)
	x.Env = append(os.Environ(), "DMAKE_CLUSTER="+strings.Join(c.Addrs, ","))
	out, err := x.CombinedOutput()
	return string(out), err
}

// MustDmaked is Dmaked that fails the test on error.
func (c *Cluster) MustDmaked(args ...string) string {
	c.t.Helper()
	out, err := c.Dmaked(args...)
	if err != nil {
		c.t.Fatalf("dmaked %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.t.Logf("dmaked %s\n%s", strings.Join(args, " "), out)
	return out
}

// ServiceOf maps a coordinator node ID or worker ID to its compose service
// (they are the same names in deploy/compose.yaml).
func ServiceOf(id string) string { return id }
