package jobserver

import (
	"bytes"
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dmake/dmake/pkg/exec"
)

const gnuMake = "/usr/bin/make"

func needMake(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(gnuMake); err != nil {
		t.Skip("GNU make not installed")
	}
}

// cleanEnv is the test's environment without any make variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MAKELEVEL", "MFLAGS", helperEnv:
		default:
			env = append(env, kv)
		}
	}
	return env
}

// pending is how many bytes wait in the jobserver (TIOCINQ is FIONREAD).
func pending(t *testing.T, js *Jobserver) int {
	t.Helper()
	rc, err := js.rd.SyscallConn() // not Fd(): it would make the file blocking
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if cerr := rc.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); cerr != nil || err != nil {
		t.Fatal(cerr, err)
	}
	return n
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestServerTokens(t *testing.T) {
	for _, style := range []Style{Pipe, Fifo} {
		js, err := NewServer(4, style)
		if err != nil {
			t.Fatal(err)
		}
		if got := pending(t, js); got != 3 {
			t.Errorf("style %d: %d tokens in the jobserver, want 3", style, got)
		}
		ctx := bounded(t)
		var held []Token
		for range 4 {
			tok, err := js.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, tok)
		}
		if !held[0].Implicit() || held[1].Implicit() {
			t.Errorf("the implicit slot must come first: %+v", held)
		}
		for _, tok := range held {
			if err := js.Release(tok); err != nil {
				t.Fatal(err)
			}
		}
		if got := pending(t, js); got != 3 {
			t.Errorf("style %d: %d tokens after release, want 3", style, got)
		}
		fifo := js.Auth().Fifo
		if err := js.Close(); err != nil {
			t.Fatal(err)
		}
		if fifo != "" {
			if _, err := os.Stat(filepath.Dir(fifo)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("fifo directory left behind: %v", err)
			}
		}
	}
}

func TestAcquireCancelledKeepsNothing(t *testing.T) {
	js, err := NewServer(2, Pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	ctx := bounded(t)
	a, _ := js.Acquire(ctx)
	b, err := js.Acquire(ctx)
	if err != nil || b.Implicit() {
		t.Fatalf("second slot %+v %v", b, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	got := make(chan error)
	go func() {
		_, err := js.Acquire(cctx)
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it block in the read (not needed for correctness)
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire returned %v", err)
	}
	if err := js.Release(b); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, js); n != 1 {
		t.Errorf("%d tokens in the pipe after the cancelled wait, want 1", n)
	}
	c, err := js.Acquire(ctx)
	if err != nil || c.Implicit() || c.b != tokenByte {
		t.Errorf("Acquire after cancel: %+v %v", c, err)
	}
	js.Release(c)
	js.Release(a)
}

func TestImplicitReleaseWakesWaiter(t *testing.T) {
	js, err := NewServer(2, Pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	ctx := bounded(t)
	a, _ := js.Acquire(ctx)
	b, _ := js.Acquire(ctx)
	got := make(chan Token)
	go func() {
		tok, err := js.Acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- tok
	}()
	time.Sleep(20 * time.Millisecond) // let it block in the read (not needed for correctness)
	js.Release(a)
	if tok := <-got; !tok.Implicit() {
		t.Errorf("waiter got %+v, want the implicit slot", tok)
	}
	if n := pending(t, js); n != 0 {
		t.Errorf("%d tokens in the pipe, want 0", n)
	}
	js.Release(b)
}

func TestJoinGivesBackTheSameByte(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	js, err := Join(Auth{R: p[0], W: p[1]})
	if err != nil {
		t.Fatal(err)
	}
	ctx := bounded(t)
	implicit, _ := js.Acquire(ctx)
	tok, err := js.Acquire(ctx)
	if err != nil || tok.b != 'x' {
		t.Fatalf("Acquire: %+v %v", tok, err)
	}
	js.Release(tok)
	js.Release(implicit)
	var b [2]byte
	if n, err := unix.Read(p[0], b[:]); n != 1 || err != nil || b[0] != 'x' {
		t.Errorf("pipe holds %q (%v), want x", b[:n], err)
	}
}

func TestJoinUnavailable(t *testing.T) {
	// 57 and 58 are not open in the test process; fd 0 is not a pipe.
	for _, auth := range []Auth{{R: 57, W: 58}, {R: 0, W: 0}} {
		if _, err := Join(auth); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Join(%v) = %v, want ErrUnavailable", auth, err)
		}
	}
}

func TestParseMakeflags(t *testing.T) {
	tests := []struct {
		in   string
		want Auth
		ok   bool
		err  bool
	}{
		{" -j2 --jobserver-auth=3,4", Auth{R: 3, W: 4}, true, false},
		{"ks -j2 --jobserver-fds=5,6", Auth{R: 5, W: 6}, true, false},
		{"-j3 --jobserver-auth=fifo:/tmp/GMfifo1", Auth{R: -1, W: -1, Fifo: "/tmp/GMfifo1"}, true, false},
		{"--jobserver-auth=3,4 --jobserver-auth=7,8", Auth{R: 7, W: 8}, true, false},
		{"-j2 -- X=--jobserver-auth=3,4", Auth{}, false, false},
		{"-k", Auth{}, false, false},
		{"", Auth{}, false, false},
		{"--jobserver-auth=abc", Auth{}, false, true},
		{"--jobserver-auth=3", Auth{}, false, true},
	}
	for _, tt := range tests {
		got, ok, err := ParseMakeflags(tt.in)
		if got != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("ParseMakeflags(%q) = %+v %v %v", tt.in, got, ok, err)
		}
	}
	if s := (Auth{R: 3, W: 4}).String(); s != "--jobserver-auth=3,4" {
		t.Errorf("String = %q", s)
	}
}

// gnuMakeStderr runs GNU make in dir with MAKEFLAGS and returns its stderr.
func gnuMakeStderr(t *testing.T, dir, makeflags string, args ...string) string {
	t.Helper()
	cmd := osexec.CommandContext(bounded(t), gnuMake, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "MAKEFLAGS="+makeflags)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	return stderr.String()
}

func TestMessagesMatchGNUMake(t *testing.T) {
	needMake(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Makefile"), "all:\n\t@$(MAKE) -s --no-print-directory -f sub.mk -j3\n")
	writeFile(t, filepath.Join(dir, "sub.mk"), "all:\n\t@:\n")
	if got, want := gnuMakeStderr(t, dir, "-j2 --jobserver-auth=57,58", "-s"), UnavailableWarning("make"); got != want {
		t.Errorf("unavailable: GNU make says %q, we say %q", got, want)
	}
	if got, want := gnuMakeStderr(t, dir, "", "-s", "-j2"), ForcedWarning("make[1]", 3); got != want {
		t.Errorf("forced: GNU make says %q, we say %q", got, want)
	}
	_, _, err := ParseMakeflags("--jobserver-auth=abc")
	if got, want := gnuMakeStderr(t, dir, "-j2 --jobserver-auth=abc", "-s"), "make: "+err.Error()+"\n"; got != want {
		t.Errorf("bad auth: GNU make says %q, we say %q", got, want)
	}
}

func TestSetup(t *testing.T) {
	js, jobs, warn, err := Setup(Config{Program: "make", Makeflags: "-j2 --jobserver-auth=57,58", Jobs: 2})
	if js != nil || jobs != 1 || warn != UnavailableWarning("make") || err != nil {
		t.Errorf("unavailable: %v %d %q %v", js, jobs, warn, err)
	}
	js, jobs, warn, err = Setup(Config{Program: "make[1]", Makeflags: "-j2 --jobserver-auth=57,58", Jobs: 3, JobsOnCommandLine: true})
	if js == nil || jobs != 3 || warn != ForcedWarning("make[1]", 3) || err != nil {
		t.Fatalf("forced: %v %d %q %v", js, jobs, warn, err)
	}
	if n := pending(t, js); n != 2 {
		t.Errorf("forced -j3 server holds %d tokens, want 2", n)
	}
	js.Close()
	js, jobs, warn, err = Setup(Config{Program: "make", Jobs: 1})
	if js != nil || jobs != 1 || warn != "" || err != nil {
		t.Errorf("-j1: %v %d %q %v", js, jobs, warn, err)
	}
	srv, _ := NewServer(3, Fifo)
	defer srv.Close()
	js, _, warn, err = Setup(Config{Program: "make", Makeflags: "-j3 " + srv.AuthFlag(), Jobs: 3})
	if js == nil || warn != "" || err != nil {
		t.Fatalf("fifo join: %v %q %v", js, warn, err)
	}
	defer js.Close()
	ctx := bounded(t)
	js.Acquire(ctx) // implicit
	tok, err := js.Acquire(ctx)
	if err != nil || pending(t, srv) != 1 {
		t.Errorf("fifo client took %+v %v; %d left", tok, err, pending(t, srv))
	}
	js.Release(tok)
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A dmake-side server with GNU make sub-makes below it: two sub-makes run
// at once (one on dmake's implicit slot, one on a token), each with six
// leaves that record when they run. With -j3 no more than three leaves may
// ever overlap.
func TestGNUMakeChildrenRespectServer(t *testing.T) {
	needMake(t)
	const jobs = 3
	js, err := NewServer(jobs, Pipe)
	if err != nil {
		t.Fatal(err)
	}
	defer js.Close()
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	leaf := "\t@echo \"s $@ $$(date +%s%N)\" >> " + log + "; sleep 0.05; echo \"e $@ $$(date +%s%N)\" >> " + log + "\n"
	for _, sub := range []string{"a", "b"} {
		os.Mkdir(filepath.Join(dir, sub), 0o755)
		mk := ".PHONY: all\nall: " + sub + "1 " + sub + "2 " + sub + "3 " + sub + "4 " + sub + "5 " + sub + "6\n" + sub + "%:\n" + leaf
		writeFile(t, filepath.Join(dir, sub, "Makefile"), mk)
	}
	ctx := bounded(t)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	for i, sub := range []string{"a", "b"} {
		tok, err := js.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer js.Release(tok)
			job := &exec.Job{
				Target: sub, Dir: dir, Stdout: &outs[i], Stderr: &outs[i],
				Env:        append(cleanEnv(), "MAKEFLAGS= -j3 "+js.AuthFlag(), "MAKELEVEL=1"),
				ExtraFiles: js.Files(),
				Lines:      []exec.Line{{Text: gnuMake + " -s -C " + sub, Silent: true, Always: true}},
			}
			if res := exec.Run(ctx, job); !res.OK() {
				t.Errorf("sub-make %s: %+v", sub, res)
			}
		})
	}
	wg.Wait()
	for i := range outs {
		if s := outs[i].String(); s != "" {
			t.Errorf("sub-make said %q", s)
		}
	}
	max, n := maxOverlap(t, log)
	t.Logf("%d leaves, at most %d at once", n, max)
	if n != 12 || max > jobs {
		t.Errorf("%d leaves, %d at once; want 12, at most %d", n, max, jobs)
	}
	if got := pending(t, js); got != jobs-1 {
		t.Errorf("%d tokens back in the jobserver, want %d", got, jobs-1)
	}
}

// GNU make -j3 at the top with dmake-side clients below it: three children,
// each wanting four slots at once, share GNU make's three.
func TestClientsUnderGNUMake(t *testing.T) {
	needMake(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	mk := ".PHONY: all c1 c2 c3\nall: c1 c2 c3\nc1 c2 c3:\n\t+@" + helperEnv + "=" + log + ":$@:4 " + self + "\n"
	writeFile(t, filepath.Join(dir, "Makefile"), mk)
	cmd := osexec.CommandContext(bounded(t), gnuMake, "-s", "-j3")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -j3: %v\n%s", err, out)
	}
	max, n := maxOverlap(t, log)
	t.Logf("%d pretend jobs, at most %d at once", n, max)
	if n != 12 || max > 3 {
		t.Errorf("%d pretend jobs, %d at once; want 12, at most 3", n, max)
	}
}
