package cluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShellRunnerRunsAndReports(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	res := ShellRunner{}.Run(context.Background(), StepRequest{Dir: dir, Step: 3, Attempt: 2, Worker: "w", Payload: []byte(`echo "$DMAKE_STEP/$DMAKE_ATTEMPT/$DMAKE_WORKER"; pwd`)}, &out)
	if res.Failed || out.String() != "3/2/w\n"+dir+"\n" {
		t.Fatalf("res %+v out %q", res, out.String())
	}
	res = ShellRunner{}.Run(context.Background(), StepRequest{Dir: dir, Payload: []byte("exit 3")}, &out)
	if !res.Failed || res.ExitCode != 3 {
		t.Fatalf("exit 3: %+v", res)
	}
}

// Cancelling kills the whole process group, grandchildren included.
func TestShellRunnerCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "survived")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan StepResult)
	go func() {
		done <- ShellRunner{}.Run(ctx, StepRequest{Dir: dir, Payload: []byte("(sleep 1; touch survived) & sleep 1; touch survived")}, &bytes.Buffer{})
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	res := <-done
	if !res.Failed || !strings.HasPrefix(res.Message, "killed") {
		t.Fatalf("res %+v", res)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(flag); err == nil {
		t.Fatal("a process of the cancelled step survived and wrote its file")
	}
}
