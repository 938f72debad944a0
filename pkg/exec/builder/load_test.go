package builder

import "testing"

func TestParseLoadAvg(t *testing.T) {
	for in, want := range map[string]float64{"0.52 0.58 0.59 1/467 12345\n": 0.52, "12.00 1 1": 12} {
		if got, ok := parseLoadAvg(in); !ok || got != want {
			t.Errorf("parseLoadAvg(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := parseLoadAvg(""); ok {
		t.Error("empty: ok")
	}
}

func TestOverloaded(t *testing.T) {
	load := 3.0
	b := &Builder{Stepper: &Stepper{opt: Options{LoadAverage: 2, ReadLoad: func() (float64, bool) { return load, true }}}}
	if b.overloaded() {
		t.Error("nothing running: a job must start whatever the load")
	}
	b.running = 1
	if !b.overloaded() {
		t.Error("load 3 >= 2 with a job running: want overloaded")
	}
	load = 1.5
	if b.overloaded() {
		t.Error("load 1.5 < 2: want not overloaded")
	}
	b.opt.LoadAverage = 0
	load = 100
	if b.overloaded() {
		t.Error("no -l: never overloaded")
	}
}
