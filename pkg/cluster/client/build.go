package client

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dmake/dmake/pkg/cluster"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ChunkBytes is the most a submission chunk carries (payload and steps), so
// no Raft entry comes near the 1 MB limit.
const ChunkBytes = 512 << 10

// Submit sends a build in chunks and seals it. It is idempotent: calling it
// again with the same spec.ID (after an error, or from another client) does
// not start a second build.
func (c *Client) Submit(ctx context.Context, spec cluster.BuildSpec) error {
	if spec.ID == "" {
		return errors.New("submit: build has no ID")
	}
	chunks := split(spec)
	for i, ch := range chunks {
		if err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
			_, err := s.Submit(ctx, ch)
			return err
		}); err != nil {
			return fmt.Errorf("submit %s chunk %d: %w", spec.ID, i, err)
		}
	}
	seal := &pb.SealRequest{Build: spec.ID, Chunks: uint32(len(chunks)), Steps: uint32(len(spec.Steps)), PayloadLen: uint64(len(spec.Payload))}
	if err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.Seal(ctx, seal)
		return err
	}); err != nil {
		return fmt.Errorf("seal %s: %w", spec.ID, err)
	}
	return nil
}

// split cuts a build into chunks of at most about ChunkBytes each: the
// payload first, then the steps. Chunk 0 carries the header.
func split(spec cluster.BuildSpec) []*pb.SubmitRequest {
	cur := &pb.SubmitRequest{Build: spec.ID, Dir: spec.Dir, ProbePath: spec.Probe.Path, ProbeContent: spec.Probe.Content, Options: &pb.BuildOptions{
		Jobs: int32(spec.Options.Jobs), KeepGoing: spec.Options.KeepGoing, MaxLosses: int32(spec.Options.MaxLosses), Labels: spec.Options.Labels}}
	out := []*pb.SubmitRequest{cur}
	size := 0
	flush := func() {
		cur = &pb.SubmitRequest{Build: spec.ID, Chunk: uint32(len(out))}
		out = append(out, cur)
		size = 0
	}
	for p := spec.Payload; len(p) > 0; {
		if size >= ChunkBytes {
			flush()
		}
		n := min(len(p), ChunkBytes-size)
		cur.PayloadPart = append(cur.PayloadPart, p[:n]...)
		size += n
		p = p[n:]
	}
	for _, st := range spec.Steps {
		sz := len(st.Target) + len(st.Payload) + 8*len(st.Deps) + 32
		if size > 0 && size+sz > ChunkBytes {
			flush()
		}
		deps := make([]int32, len(st.Deps))
		for i, d := range st.Deps {
			deps[i] = int32(d)
		}
		cur.Steps = append(cur.Steps, &pb.StepSpec{Target: st.Target, Deps: deps, Priority: st.Priority, Payload: st.Payload})
		size += sz
	}
	return out
}

// AddSteps adds steps to a running build, as a recursive make joining it
// does, and returns the index of the first (the others follow). A dep
// d >= 0 names an existing step; d < 0 names step -d-1 of steps, which must
// come earlier. key (unique per call, e.g. "STEP/ATTEMPT/n") makes the call
// idempotent. One call carries at most ChunkBytes; split larger groups.
func (c *Client) AddSteps(ctx context.Context, build, key string, steps []cluster.StepSpec) (int, error) {
	req := &pb.AddStepsRequest{Build: build, Key: key}
	size := 0
	for _, st := range steps {
		deps := make([]int32, len(st.Deps))
		for i, d := range st.Deps {
			deps[i] = int32(d)
		}
		req.Steps = append(req.Steps, &pb.StepSpec{Target: st.Target, Deps: deps, Priority: st.Priority, Payload: st.Payload})
		size += len(st.Target) + len(st.Payload) + 8*len(st.Deps) + 32
	}
	if size > ChunkBytes {
		return 0, fmt.Errorf("add steps to %s: %d bytes in one call, over %d", build, size, ChunkBytes)
	}
	var first int32
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		r, err := s.AddSteps(ctx, req)
		if err == nil {
			first = r.First
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add steps to %s: %w", build, err)
	}
	return int(first), nil
}

// Cancel cancels a build: nothing more starts and running steps are killed.
func (c *Client) Cancel(ctx context.Context, build string) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.Cancel(ctx, &pb.CancelRequest{Build: build})
		return err
	})
}

// Event is one event of a build (see the protocol's Event message).
type Event = pb.Event

// Events calls fn for each event of build with sequence number from on
// (1 is the first), in order, each exactly once, until the build finishes
// (the last event is BUILD_FINISHED), fn returns an error, or ctx ends. It
// reconnects across coordinator failures and leader changes and resumes
// after the last event delivered. It returns the sequence number of the
// last event delivered, from which a later call can resume.
func (c *Client) Events(ctx context.Context, build string, from uint64, fn func(*Event) error) (uint64, error) {
	next := max(from, 1)
	var fnErr error
	done := false
	err := c.Call(ctx, func(ctx context.Context, addr string, s pb.CoordinatorClient) error {
		stream, err := s.Events(ctx, &pb.EventsRequest{Build: build, From: next})
		if err != nil {
			return err
		}
		for {
			e, err := stream.Recv()
			if err == io.EOF {
				if done {
					return nil
				}
				return status.Error(codes.Unavailable, "event stream ended early")
			}
			if err != nil {
				return err
			}
			if e.Seq < next {
				continue
			}
			if e.Seq > next {
				return fmt.Errorf("event stream skipped from %d to %d", next, e.Seq)
			}
			next = e.Seq + 1
			if fnErr = fn(e); fnErr != nil {
				return nil
			}
			if e.Kind == pb.Event_BUILD_FINISHED {
				done = true
			}
		}
	})
	if fnErr != nil {
		return next - 1, fnErr
	}
	return next - 1, err
}
