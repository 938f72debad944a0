package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	xexec "github.com/dmake/dmake/pkg/exec"
)

// fatalSignals are the signals that stop a build as they stop GNU make:
// running recipes get the same signal, the targets they were writing are
// deleted, and make dies of the signal.
var fatalSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// sigBox holds the first fatal signal received.
type sigBox struct {
	mu  sync.Mutex
	sig syscall.Signal
}

func (b *sigBox) received() syscall.Signal {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sig
}

// interruptContext returns a context cancelled when a fatal signal
// arrives, with an xexec.SignalCause so that the runner forwards that very
// signal to the recipes' process groups (GNU make's children share its
// process group and get a Ctrl-C directly; dmake's each have their own).
//
// A goroutine waits for the signal until stop is called.
func interruptContext() (context.Context, *sigBox, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, fatalSignals...)
	box := &sigBox{}
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			sig := s.(syscall.Signal)
			box.mu.Lock()
			box.sig = sig
			box.mu.Unlock()
			cancel(&xexec.SignalCause{Sig: sig})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, box, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(nil)
		})
	}
}

// dieOf ends dmake by sig, as GNU make ends after an interrupt, so that the
// shell or parent make sees how it died. It does not return.
func dieOf(sig syscall.Signal) {
	if sig == 0 {
		sig = syscall.SIGINT
	}
	os.Stdout.Sync()
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	for {
		time.Sleep(time.Second) // the signal is on its way
	}
}
