package coord

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/hashicorp/raft"
)

// bootstrapOrJoin runs once at start. A node with Raft state just resumes.
// With BootstrapExpect it waits until it knows that many coordinators (itself
// and those reachable through Join), checks none of them has state, and
// bootstraps the same configuration as the others will. Otherwise it asks the
// leader, through Join, to add it. Then it keeps its RPC address recorded in
// the FSM, so followers can point callers at it when it leads.
func (c *Coordinator) bootstrapOrJoin() {
	switch {
	case c.hasState():
		c.log.Info("resuming from data dir")
	case c.cfg.BootstrapExpect == 1:
		c.bootstrap(nil)
	case c.cfg.BootstrapExpect > 1:
		c.bootstrapExpect()
	case len(c.cfg.Join) > 0:
		c.joinLoop()
	}
	c.keepAddressRecorded()
}

func (c *Coordinator) bootstrap(others []*pb.InfoResponse) {
	servers := []raft.Server{{ID: raft.ServerID(c.cfg.NodeID), Address: raft.ServerAddress(c.cfg.RaftAdvertise), Suffrage: raft.Voter}}
	for _, o := range others {
		servers = append(servers, raft.Server{ID: raft.ServerID(o.Id), Address: raft.ServerAddress(o.RaftAddr), Suffrage: raft.Voter})
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	if err := c.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
		c.log.Warn("bootstrap", "err", err)
		return
	}
	c.log.Info("bootstrapped", "servers", len(servers))
}

func (c *Coordinator) bootstrapExpect() {
	for c.ctx.Err() == nil {
		infos := map[string]*pb.InfoResponse{}
		existing := false
		for _, addr := range c.cfg.Join {
			info, err := c.peerInfo(addr)
			if err != nil || info.Id == c.cfg.NodeID {
				continue
			}
			infos[info.Id] = info
			existing = existing || info.HasState
		}
		if existing {
			c.log.Info("a peer already has state: joining instead of bootstrapping")
			c.joinLoop()
			return
		}
		if len(infos)+1 >= c.cfg.BootstrapExpect {
			var others []*pb.InfoResponse
			for _, info := range infos {
				others = append(others, info)
				c.rememberPeer(info.Id, info.RaftAddr, info.RpcAddr)
			}
			c.bootstrap(others)
			return
		}
		sleepCtx(c.ctx, 500*time.Millisecond)
	}
}

func (c *Coordinator) rememberPeer(id, raftAddr, rpcAddr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peers[id] = peerRPC{raftAddr: raftAddr, rpcAddr: rpcAddr}
}

func (c *Coordinator) peerInfo(addr string) (*pb.InfoResponse, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	conn, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return pb.NewCoordinatorClient(conn).Info(ctx, &pb.InfoRequest{})
}

// joinLoop asks the coordinators in Join to add this node until one (or
// the leader it points to) does.
func (c *Coordinator) joinLoop() {
	req := &pb.JoinRequest{Id: c.cfg.NodeID, RaftAddr: c.cfg.RaftAdvertise, RpcAddr: c.cfg.RPCAdvertise, Nonvoter: c.cfg.Nonvoter}
	for c.ctx.Err() == nil {
		for _, addr := range c.cfg.Join {
			if err := c.joinVia(addr, req); err == nil {
				c.log.Info("joined", "via", addr)
				return
			} else {
				c.log.Debug("join", "via", addr, "err", err)
			}
		}
		sleepCtx(c.ctx, time.Second)
	}
}

// joinVia calls Join on addr, following one redirect to the leader.
func (c *Coordinator) joinVia(addr string, req *pb.JoinRequest) error {
	for hop := 0; hop < 3; hop++ {
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		conn, err := dial(addr)
		if err != nil {
			cancel()
			return err
		}
		_, err = pb.NewCoordinatorClient(conn).Join(ctx, req)
		conn.Close()
		cancel()
		leader, redirect := LeaderFromError(err)
		if !redirect {
			return err
		}
		addr = leader
	}
	return fmt.Errorf("join: too many redirects")
}

// keepAddressRecorded makes sure the FSM maps this node's ID to its RPC
// address, asking the leader (through Join, which is idempotent) when not.
func (c *Coordinator) keepAddressRecorded() {
	req := &pb.JoinRequest{Id: c.cfg.NodeID, RaftAddr: c.cfg.RaftAdvertise, RpcAddr: c.cfg.RPCAdvertise, Nonvoter: c.cfg.Nonvoter}
	for c.ctx.Err() == nil {
		var have string
		c.fsm.Read(func(st *fsm.State) { have = st.Servers[c.cfg.NodeID] })
		if have != c.cfg.RPCAdvertise {
			if ld := c.leaderRPC(); ld != "" && ld != c.cfg.RPCAdvertise {
				_ = c.joinVia(ld, req)
			}
		}
		sleepCtx(c.ctx, 2*time.Second)
	}
}

// leaderRPC returns the leader's RPC address, if known.
func (c *Coordinator) leaderRPC() string {
	raftAddr, id := c.raft.LeaderWithID()
	if id == "" {
		return ""
	}
	if string(id) == c.cfg.NodeID {
		return c.cfg.RPCAdvertise
	}
	var addr string
	c.fsm.Read(func(st *fsm.State) { addr = st.Servers[string(id)] })
	if addr == "" {
		c.mu.Lock()
		for _, p := range c.peers {
			if p.raftAddr == string(raftAddr) {
				addr = p.rpcAddr
			}
		}
		c.mu.Unlock()
	}
	return addr
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
