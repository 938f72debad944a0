package coord

import (
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// report is an output chunk or a result from a worker's stream.
type report struct {
	conn   *workerConn
	output *pb.Output
	result *pb.Result
}

// batchBytes caps the output carried by one Complete entry.
const batchBytes = 512 << 10

// coalesceLoop runs on the leader. It gathers output and results for
// SchedInterval (or until a batch is full), commits them as one Complete
// entry, and acknowledges each result to its worker, accepted or rejected:
// either way the worker may forget it. If the commit fails (leadership lost)
// nothing is acknowledged, and workers resend to the next leader.
func (ld *leader) coalesceLoop() {
	for {
		var first report
		select {
		case <-ld.ctx.Done():
			return
		case first = <-ld.results:
		}
		batch := []report{first}
		size := outputLen(first)
		timer := time.NewTimer(ld.c.cfg.SchedInterval)
	collect:
		for size < batchBytes && len(batch) < 4096 {
			select {
			case r := <-ld.results:
				batch = append(batch, r)
				size += outputLen(r)
			case <-timer.C:
				break collect
			case <-ld.ctx.Done():
				timer.Stop()
				return
			}
		}
		timer.Stop()
		ld.commit(batch)
	}
}

func outputLen(r report) int {
	if r.output != nil {
		return len(r.output.Data)
	}
	return 64
}

func (ld *leader) commit(batch []report) {
	cmd := &fsm.Complete{Stamp: stamp()}
	var acks []report
	for _, r := range batch {
		switch {
		case r.output != nil && r.output.Ref != nil:
			o := r.output
			cmd.Outputs = append(cmd.Outputs, fsm.OutputItem{Build: o.Ref.Build, Step: o.Ref.Step, Attempt: o.Ref.Attempt, Session: o.Session, Offset: o.Offset, Data: o.Data})
		case r.result != nil && r.result.Ref != nil:
			x := r.result
			cmd.Results = append(cmd.Results, fsm.ResultItem{Build: x.Ref.Build, Step: x.Ref.Step, Attempt: x.Ref.Attempt, Session: x.Session,
				Failed: x.Failed, Changed: x.Changed, ExitCode: x.ExitCode, Message: x.Message})
			acks = append(acks, r)
		}
	}
	res, err := ld.c.apply(fsm.CompleteType, cmd)
	if err != nil {
		ld.c.log.Warn("complete", "err", err)
		return
	}
	for i, r := range acks {
		ack := &pb.Ack{Ref: r.result.Ref, Accepted: res.Items[i] == nil}
		if res.Items[i] != nil {
			ack.Error = res.Items[i].Error()
			ld.c.log.Info("result rejected", "worker", r.conn.id, "build", r.result.Ref.Build, "step", r.result.Ref.Step,
				"attempt", r.result.Ref.Attempt, "session", r.result.Session, "err", res.Items[i])
		}
		r.conn.send(&pb.CoordMsg{Msg: &pb.CoordMsg_Ack{Ack: ack}})
	}
}
