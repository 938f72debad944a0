package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dmake/dmake/pkg/cluster"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// start begins an assigned attempt, unless it is already running or done.
func (a *Agent) start(as *pb.Assign) {
	k := refKey(as.Ref)
	a.mu.Lock()
	if _, ok := a.tasks[k]; ok || a.pending[k] != nil || as.Session != a.session || a.runCtx == nil {
		a.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancelCause(a.runCtx)
	t := &task{ref: as.Ref, session: as.Session, cancel: cancel}
	a.tasks[k] = t
	a.mu.Unlock()
	go a.run(ctx, t, as)
}

func (a *Agent) run(ctx context.Context, t *task, as *pb.Assign) {
	// The leader may give us more steps than slots (a short queue, see
	// coord.Pipeline); at most Slots run at once.
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
	}
	a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Started{Started: &pb.Started{Ref: as.Ref}}})
	var res cluster.StepResult
	info, err := a.buildInfo(ctx, as.Ref.Build)
	if err == nil && info.refusal != "" {
		a.mu.Lock()
		delete(a.tasks, refKey(as.Ref))
		a.mu.Unlock()
		a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Refuse{Refuse: &pb.Refuse{Ref: as.Ref, Session: as.Session, Reason: info.refusal}}})
		return
	}
	if err != nil {
		res = cluster.StepResult{Failed: true, ExitCode: -1, Message: "fetch build payload: " + err.Error()}
	} else {
		payload := info.payload
		out := &outWriter{a: a, t: t}
		res = a.cfg.Runner.Run(ctx, cluster.StepRequest{
			Build: as.Ref.Build, Dir: as.Dir, BuildPayload: payload, Step: int(as.Ref.Step), Target: as.Target,
			Payload: as.Payload, Attempt: as.Ref.Attempt, Worker: a.cfg.ID,
		}, out)
	}
	k := refKey(as.Ref)
	a.mu.Lock()
	delete(a.tasks, k)
	if t.fenced {
		a.fenced[k] = t.ref
	}
	if t.fenced || t.dropped || t.session != a.session {
		a.mu.Unlock()
		return
	}
	r := &pb.Result{Ref: as.Ref, Session: as.Session, Failed: res.Failed, Changed: res.Changed, ExitCode: int32(res.ExitCode), Message: res.Message}
	t.outMu.Lock()
	a.pending[k] = &done{res: r, out: t.out}
	t.outMu.Unlock()
	a.sentAt[k] = timeNow()
	a.mu.Unlock()
	a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Result{Result: r}})
}

// cancelTask kills an attempt on the leader's order; its (failed) result is
// still reported, and the FSM decides what it means.
func (a *Agent) cancelTask(k key, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t := a.tasks[k]; t != nil {
		t.cancel(errors.New("cancelled by coordinator: " + reason))
	}
}

// buildInfo is what a worker keeps per build: its payload, and why it
// cannot run the build's steps, if it cannot.
type buildInfo struct {
	payload []byte
	refusal string
}

// buildInfo fetches (once) a build's payload and checks that this worker
// sees the build's files: the probe file's content, or at least Dir.
func (a *Agent) buildInfo(ctx context.Context, build string) (*buildInfo, error) {
	a.mu.Lock()
	p, ok := a.payloads[build]
	a.mu.Unlock()
	if ok {
		return p, nil
	}
	r, err := a.cl.BuildInfo(ctx, build)
	if err != nil {
		return nil, err
	}
	p = &buildInfo{payload: r.Payload, refusal: a.cfg.Sees(r.Dir, r.ProbePath, r.ProbeContent)}
	a.mu.Lock()
	if _, ok := a.payloads[build]; !ok {
		a.payloadOrder = append(a.payloadOrder, build)
		if len(a.payloadOrder) > payloadCache {
			delete(a.payloads, a.payloadOrder[0])
			a.payloadOrder = a.payloadOrder[1:]
		}
	}
	a.payloads[build] = p
	a.mu.Unlock()
	return p, nil
}

// outWriter streams an attempt's output to the leader in pieces of at most
// 64 KiB, each with its offset, and keeps the first OutputKeep bytes to
// resend after a reconnect.
type outWriter struct {
	a *Agent
	t *task
}

func (w *outWriter) Write(p []byte) (int, error) {
	t := w.t
	t.outMu.Lock()
	defer t.outMu.Unlock()
	n := len(p)
	for len(p) > 0 {
		c := min(len(p), 64<<10)
		data := append([]byte(nil), p[:c]...)
		if keep := OutputKeep - len(t.out); keep > 0 {
			t.out = append(t.out, data[:min(keep, c)]...)
		}
		w.a.emit(outputMsg(t.ref, t.session, t.total, data))
		t.total += uint64(c)
		p = p[c:]
	}
	return n, nil
}

func outputMsg(ref *pb.StepRef, session, offset uint64, data []byte) *pb.WorkerMsg {
	return &pb.WorkerMsg{Msg: &pb.WorkerMsg_Output{Output: &pb.Output{Ref: ref, Session: session, Offset: offset, Data: data}}}
}

// CheckProbe returns why this machine does not see the client's tree at
// dir, or "" if it does: the file probe (relative to dir) must hold content,
// or, without a probe, dir must be a directory.
func CheckProbe(dir, probe string, content []byte) string {
	if probe == "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Sprintf("directory %s not found", dir)
		}
		return ""
	}
	got, err := os.ReadFile(filepath.Join(dir, probe))
	switch {
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", filepath.Join(dir, probe), err)
	case !bytes.Equal(got, content):
		return fmt.Sprintf("%s differs from the client's: not the same file system", filepath.Join(dir, probe))
	}
	return ""
}
