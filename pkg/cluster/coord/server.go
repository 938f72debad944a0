package coord

import (
	"context"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

func grpcServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(4 << 20),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 10 * time.Second, Timeout: 5 * time.Second}),
	}
}

// dial connects to a coordinator (no TLS yet: see docs/cluster.md).
func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// write commits a command on the leader, or tells the caller where the
// leader is.
func (c *Coordinator) write(t fsm.MsgType, body any) (*fsm.Result, error) {
	if c.leaderOrNil() == nil {
		return nil, c.notLeader()
	}
	res, err := c.apply(t, body)
	if err != nil {
		return nil, c.toStatus(err)
	}
	if res.Err != nil {
		return nil, status.Error(codes.FailedPrecondition, res.Err.Error())
	}
	return res, nil
}

// Submit applies one chunk of a build; chunk 0 also creates the build.
func (c *Coordinator) Submit(ctx context.Context, req *pb.SubmitRequest) (*pb.SubmitResponse, error) {
	if req.Build == "" {
		return nil, status.Error(codes.InvalidArgument, "no build id")
	}
	if req.Chunk == 0 {
		o := req.Options
		if o == nil {
			o = &pb.BuildOptions{}
		}
		if _, err := c.write(fsm.BuildSubmitType, &fsm.BuildSubmit{ID: req.Build, Dir: req.Dir, Stamp: stamp(),
			ProbePath: req.ProbePath, ProbeContent: req.ProbeContent,
			Options: fsm.Options{Jobs: o.Jobs, KeepGoing: o.KeepGoing, MaxLosses: o.MaxLosses, Labels: o.Labels}}); err != nil {
			return nil, err
		}
	}
	chunk := &fsm.BuildChunk{ID: req.Build, Chunk: req.Chunk, PayloadPart: req.PayloadPart}
	for _, s := range req.Steps {
		chunk.Steps = append(chunk.Steps, fsm.StepSpec{Target: s.Target, Deps: s.Deps, Priority: s.Priority, Payload: s.Payload})
	}
	if _, err := c.write(fsm.BuildChunkType, chunk); err != nil {
		return nil, err
	}
	return &pb.SubmitResponse{}, nil
}

// Seal ends a build's submission and starts it.
func (c *Coordinator) Seal(ctx context.Context, req *pb.SealRequest) (*pb.SealResponse, error) {
	_, err := c.write(fsm.BuildSealType, &fsm.BuildSeal{ID: req.Build, Chunks: req.Chunks, Steps: req.Steps, PayloadLen: req.PayloadLen, Stamp: stamp()})
	if err != nil {
		return nil, err
	}
	return &pb.SealResponse{}, nil
}

// AddSteps adds steps to a running build.
func (c *Coordinator) AddSteps(ctx context.Context, req *pb.AddStepsRequest) (*pb.AddStepsResponse, error) {
	if req.Key == "" {
		return nil, status.Error(codes.InvalidArgument, "AddSteps needs a key")
	}
	cmd := &fsm.BuildAddSteps{ID: req.Build, Key: req.Key, Stamp: stamp()}
	for _, s := range req.Steps {
		cmd.Steps = append(cmd.Steps, fsm.StepSpec{Target: s.Target, Deps: s.Deps, Priority: s.Priority, Payload: s.Payload})
	}
	res, err := c.write(fsm.BuildAddStepsType, cmd)
	if err != nil {
		return nil, err
	}
	return &pb.AddStepsResponse{First: res.First}, nil
}

// Cancel cancels a build.
func (c *Coordinator) Cancel(ctx context.Context, req *pb.CancelRequest) (*pb.CancelResponse, error) {
	if _, err := c.write(fsm.BuildCancelType, &fsm.BuildCancel{ID: req.Build, Stamp: stamp()}); err != nil {
		return nil, err
	}
	return &pb.CancelResponse{}, nil
}

// Drain makes a worker (by ID or name) take no new steps, or undrains it.
func (c *Coordinator) Drain(ctx context.Context, req *pb.DrainRequest) (*pb.DrainResponse, error) {
	var id string
	c.fsm.Read(func(st *fsm.State) {
		for _, w := range st.SortedWorkers() {
			if w.ID == req.Worker || (id == "" && w.Name == req.Worker) {
				id = w.ID
			}
		}
	})
	if id == "" {
		return nil, status.Errorf(codes.NotFound, "no worker %q", req.Worker)
	}
	cmd := &fsm.WorkerDrain{ID: id, Enable: req.Enable, Stamp: stamp()}
	if req.Enable && req.DeadlineMs > 0 {
		cmd.Deadline = cmd.Stamp + req.DeadlineMs
	}
	if _, err := c.write(fsm.WorkerDrainType, cmd); err != nil {
		return nil, err
	}
	return &pb.DrainResponse{}, nil
}

// Events streams a build's events from req.From on, from this node's
// applied state, until the build finishes or the caller goes away. Every
// coordinator has the same events with the same numbers, so a client that
// reconnects elsewhere resumes where it stopped.
func (c *Coordinator) Events(req *pb.EventsRequest, stream pb.Coordinator_EventsServer) error {
	next := max(req.From, 1)
	// A build just submitted through the leader may not have reached this
	// replica yet: wait a little before saying it does not exist.
	notFoundAt := time.Now().Add(eventsNotFoundWait)
	for {
		changed := c.fsm.Changed()
		var batch []*pb.Event
		found := false
		c.fsm.Read(func(st *fsm.State) {
			b := st.Builds[req.Build]
			if b == nil {
				return
			}
			found = true
			for i := next - 1; i < uint64(len(b.Events)) && len(batch) < 1024; i++ {
				batch = append(batch, eventPB(b, &b.Events[i]))
			}
		})
		if !found && time.Now().After(notFoundAt) {
			return status.Errorf(codes.NotFound, "no build %q", req.Build)
		}
		for _, e := range batch {
			if err := stream.Send(e); err != nil {
				return err
			}
			next = e.Seq + 1
			if e.Kind == pb.Event_BUILD_FINISHED {
				return nil
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case <-c.ctx.Done():
			return status.Error(codes.Unavailable, "coordinator shutting down")
		case <-changed:
		case <-time.After(time.Second):
		}
	}
}

// eventsNotFoundWait is how long Events waits for an unknown build to appear.
const eventsNotFoundWait = 5 * time.Second

// eventPB converts an event, adding the step's target.
func eventPB(b *fsm.Build, e *fsm.Event) *pb.Event {
	out := &pb.Event{Seq: e.Seq, Kind: pb.Event_Kind(e.Kind), Step: e.Step, Attempt: e.Attempt, Worker: e.Worker,
		Data: e.Data, Status: e.Status, ExitCode: e.ExitCode, Message: e.Message, TimeUnixMs: e.Time}
	if e.Step >= 0 && int(e.Step) < len(b.Specs) && e.Kind != fsm.EvStepsAdded {
		out.Target = b.Specs[e.Step].Target
	}
	return out
}

// BuildPayload returns a build's payload.
func (c *Coordinator) BuildPayload(ctx context.Context, req *pb.BuildPayloadRequest) (*pb.BuildPayloadResponse, error) {
	var resp *pb.BuildPayloadResponse
	c.fsm.Read(func(st *fsm.State) {
		if b := st.Builds[req.Build]; b != nil {
			resp = &pb.BuildPayloadResponse{Payload: b.Payload[:len(b.Payload):len(b.Payload)], Dir: b.Dir,
				ProbePath: b.ProbePath, ProbeContent: b.ProbeContent}
		}
	})
	if resp == nil {
		return nil, status.Errorf(codes.NotFound, "no build %q", req.Build)
	}
	return resp, nil
}

// Status describes the cluster as this node sees it.
func (c *Coordinator) Status(ctx context.Context, req *pb.StatusRequest) (*pb.StatusResponse, error) {
	servers, err := c.servers()
	if err != nil {
		return nil, err
	}
	_, lid := c.raft.LeaderWithID()
	resp := &pb.StatusResponse{LeaderId: string(lid), LeaderRpc: c.leaderRPC(), Servers: servers}
	c.fsm.Read(func(st *fsm.State) {
		resp.AppliedIndex = st.Applied
		for _, w := range st.Workers {
			if w.Status != fsm.StatusDown {
				resp.Workers++
			}
		}
		for _, b := range st.Builds {
			if !b.Finished {
				resp.BuildsRunning++
			}
		}
	})
	return resp, nil
}

// Workers lists the workers.
func (c *Coordinator) Workers(ctx context.Context, req *pb.WorkersRequest) (*pb.WorkersResponse, error) {
	resp := &pb.WorkersResponse{}
	var refused map[string][]string
	if ld := c.leaderOrNil(); ld != nil {
		refused = ld.refusals()
	}
	c.fsm.Read(func(st *fsm.State) {
		for _, w := range st.SortedWorkers() {
			resp.Workers = append(resp.Workers, &pb.WorkerInfo{Id: w.ID, Name: w.Name, Slots: w.Slots, Labels: w.Labels,
				Session: w.Session, Status: w.Status.String(), Running: w.Running, DrainDeadlineUnixMs: w.DrainDeadline,
				Refused: refused[w.ID]})
		}
	})
	return resp, nil
}

// Builds lists the builds.
func (c *Coordinator) Builds(ctx context.Context, req *pb.BuildsRequest) (*pb.BuildsResponse, error) {
	resp := &pb.BuildsResponse{}
	c.fsm.Read(func(st *fsm.State) {
		for _, b := range st.SortedBuilds() {
			bi := &pb.BuildInfo{Id: b.ID, Status: b.Status(), Dir: b.Dir, Steps: int32(len(b.Specs)),
				SubmittedUnixMs: b.SubmittedAt, FinishedUnixMs: b.FinishedAt}
			if b.State != nil {
				bi.Running, bi.Failures = int32(b.State.Running()), int32(b.State.Failures())
				for i := range b.State.Len() {
					if b.State.Status(buildstateID(i)).Final() {
						bi.Done++
					}
				}
			}
			resp.Builds = append(resp.Builds, bi)
		}
	})
	return resp, nil
}

// Info describes this node.
func (c *Coordinator) Info(ctx context.Context, req *pb.InfoRequest) (*pb.InfoResponse, error) {
	has := c.hasState()
	return &pb.InfoResponse{Id: c.cfg.NodeID, RaftAddr: c.cfg.RaftAdvertise, RpcAddr: c.cfg.RPCAdvertise, HasState: has, Bootstrapped: has}, nil
}

// Join adds a coordinator to the Raft configuration (on the leader). A
// server already present with the same ID and address is left alone;
// another entry with the same ID or address is removed first.
func (c *Coordinator) Join(ctx context.Context, req *pb.JoinRequest) (*pb.JoinResponse, error) {
	if c.leaderOrNil() == nil {
		return nil, c.notLeader()
	}
	f := c.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	present := false
	for _, s := range f.Configuration().Servers {
		sameID, sameAddr := s.ID == raft.ServerID(req.Id), s.Address == raft.ServerAddress(req.RaftAddr)
		switch {
		case sameID && sameAddr:
			present = true
		case sameID || sameAddr:
			if err := c.raft.RemoveServer(s.ID, 0, 0).Error(); err != nil {
				return nil, c.toStatus(err)
			}
		}
	}
	if !present {
		var err error
		if req.Nonvoter {
			err = c.raft.AddNonvoter(raft.ServerID(req.Id), raft.ServerAddress(req.RaftAddr), 0, 0).Error()
		} else {
			err = c.raft.AddVoter(raft.ServerID(req.Id), raft.ServerAddress(req.RaftAddr), 0, 0).Error()
		}
		if err != nil {
			return nil, c.toStatus(err)
		}
	}
	if req.RpcAddr != "" {
		if _, err := c.write(fsm.ServerAddrType, &fsm.ServerAddr{ID: req.Id, RPCAddr: req.RpcAddr}); err != nil {
			return nil, err
		}
	}
	return &pb.JoinResponse{}, nil
}

func (c *Coordinator) servers() ([]*pb.ServerInfo, error) {
	f := c.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	_, lid := c.raft.LeaderWithID()
	var out []*pb.ServerInfo
	c.fsm.Read(func(st *fsm.State) {
		for _, s := range f.Configuration().Servers {
			out = append(out, &pb.ServerInfo{Id: string(s.ID), RaftAddr: string(s.Address), RpcAddr: st.Servers[string(s.ID)],
				Voter: s.Suffrage == raft.Voter, Leader: s.ID == lid})
		}
	})
	return out, nil
}

// RaftPeers lists the Raft configuration.
func (c *Coordinator) RaftPeers(ctx context.Context, req *pb.RaftPeersRequest) (*pb.RaftPeersResponse, error) {
	s, err := c.servers()
	if err != nil {
		return nil, err
	}
	return &pb.RaftPeersResponse{Servers: s}, nil
}

// RemovePeer removes a coordinator from the Raft configuration.
func (c *Coordinator) RemovePeer(ctx context.Context, req *pb.RemovePeerRequest) (*pb.RemovePeerResponse, error) {
	if c.leaderOrNil() == nil {
		return nil, c.notLeader()
	}
	if err := c.raft.RemoveServer(raft.ServerID(req.Id), 0, 0).Error(); err != nil {
		return nil, c.toStatus(err)
	}
	return &pb.RemovePeerResponse{}, nil
}

// TransferLeader hands leadership to another voter (req.Id, or any).
func (c *Coordinator) TransferLeader(ctx context.Context, req *pb.TransferLeaderRequest) (*pb.TransferLeaderResponse, error) {
	if c.leaderOrNil() == nil {
		return nil, c.notLeader()
	}
	var f raft.Future
	if req.Id == "" {
		f = c.raft.LeadershipTransfer()
	} else {
		var addr raft.ServerAddress
		cf := c.raft.GetConfiguration()
		if err := cf.Error(); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		for _, s := range cf.Configuration().Servers {
			if s.ID == raft.ServerID(req.Id) {
				addr = s.Address
			}
		}
		if addr == "" {
			return nil, status.Errorf(codes.NotFound, "no server %q", req.Id)
		}
		f = c.raft.LeadershipTransferToServer(raft.ServerID(req.Id), addr)
	}
	if err := f.Error(); err != nil {
		return nil, status.Error(codes.Internal, "leadership transfer: "+err.Error())
	}
	return &pb.TransferLeaderResponse{}, nil
}
