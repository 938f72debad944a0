package benchgen

import (
	"fmt"
	"strings"
)

// block writes one randomly chosen construct and returns the explicit
// objects of the part so far.
func (g *pgen) block(f *file, objs []string) []string {
	switch k := g.r.intn(100); {
	case k < 14:
		g.recursiveAssign(f)
	case k < 28:
		g.simpleAssign(f)
	case k < 32:
		n := g.uniq()
		e, w := g.expr(g.r.between(1, 3))
		f.printf("P_%d ::= %s\n", n, e)
		g.define(fmt.Sprintf("P_%d", n), w, 0)
	case k < 40:
		g.appendAssign(f)
	case k < 44:
		n := g.uniq()
		e, w := g.expr(1)
		f.printf("O_%d ?= %s\n", n, e)
		g.define(fmt.Sprintf("O_%d", n), w, 1)
	case k < 52:
		g.conditional(f)
	case k < 60:
		g.foreachCall(f)
	case k < 66:
		g.module(f)
	case k < 80:
		objs = append(objs, g.explicitRule(f))
	case k < 84:
		g.staticPattern(f)
	case k < 87:
		g.patternRule(f)
	case k < 93:
		g.targetVars(f, objs)
	default:
		g.misc(f, objs)
	}
	return objs
}

func (g *pgen) recursiveAssign(f *file) {
	n := g.uniq()
	e, w := g.expr(g.r.between(0, 2))
	depth := 1
	// Now and then refer to an earlier recursive variable directly.
	for try := 0; try < 3 && len(g.vars) > 0 && g.r.chance(30); try++ {
		v := g.vars[len(g.vars)-1-g.r.intn(min(len(g.vars), 200))]
		if v.depth > 0 && v.depth < maxDepth && v.words+w <= maxWords {
			e += " $(" + v.name + ")"
			w += v.words
			depth = v.depth + 1
			break
		}
	}
	f.printf("R_%d = %s\n", n, e)
	g.define(fmt.Sprintf("R_%d", n), w, depth)
}

func (g *pgen) simpleAssign(f *file) {
	n := g.uniq()
	e, w := g.expr(g.r.between(1, 4))
	f.printf("S_%d := %s\n", n, e)
	g.define(fmt.Sprintf("S_%d", n), w, 0)
}

func (g *pgen) appendAssign(f *file) {
	for try := 0; try < 4 && len(g.vars) > 0; try++ {
		i := len(g.vars) - 1 - g.r.intn(min(len(g.vars), 300))
		v := &g.vars[i]
		if !strings.HasPrefix(v.name, "R_") && !strings.HasPrefix(v.name, "S_") {
			continue
		}
		// Refer only to variables defined before this one, so that
		// recursive variables never refer to themselves.
		g.limit = i
		e, w := g.expr(g.r.between(0, 2))
		g.limit = 0
		if i == 0 {
			e, w = "$(LIST_0)", 20
		}
		f.printf("%s += %s\n", v.name, e)
		v.words += w
		return
	}
	f.printf("CFLAGS += -DPART_FLAG_%d\n", g.uniq())
}

func (g *pgen) conditional(f *file) {
	n := g.uniq()
	a, b := g.r.intn(numLists), g.r.intn(numLists)
	e1, w1 := g.expr(1)
	e2, w2 := g.expr(2)
	switch g.r.intn(4) {
	case 0:
		f.printf("ifeq ($(words $(LIST_%d)),%d)\nC_%d := %s\n", a, g.r.between(8, 30), n, e1)
		f.printf("else ifneq ($(filter %%_%d.c,$(LIST_%d)),)\nC_%d := %s\n", g.r.intn(60), b, n, e2)
		f.printf("else\nC_%d = $(LIST_%d)\nendif\n", n, b)
	case 1:
		f.printf("ifdef LIST_%d\n  ifndef NOT_DEFINED_%d\nC_%d := %s\n  else\nC_%d := never\n  endif\n", a, n, n, e1, n)
		f.printf("else\n$(error LIST_%d is defined)\nendif\n", a)
	case 2:
		f.printf("ifeq \"$(firstword $(LIST_%d))\" \"mod%d/f%d_1.c\"\nC_%d := %s\n", a, n%40, n%40, n, e2)
		f.printf("else ifeq '$(origin LIST_%d)' 'file'\nC_%d := %s\nelse\nC_%d :=\nendif\n", b, n, e1, n)
	default:
		f.printf("ifneq ($(findstring mod%d/,$(LIST_%d)),)\nC_%d := %s\n", g.r.intn(40), a, n, e1)
		f.printf("ifeq ($(flavor C_%d),simple)\nC_%d += $(words $(C_%d))\nendif\nelse\nC_%d := %s\nendif\n", n, n, n, n, e2)
	}
	g.define(fmt.Sprintf("C_%d", n), max(w1, w2, 20)+1, 0)
}

func (g *pgen) foreachCall(f *file) {
	n := g.uniq()
	e, w := g.expr(g.r.between(0, 1))
	other, _ := g.listArg()
	if g.r.chance(50) {
		f.printf("F_%d := $(foreach m,%s,$(call fn_%d,$(m),%s))\n", n, e, g.r.intn(numFuncs), other)
	} else {
		f.printf("F_%d := $(foreach d,a b,$(foreach m,$(wordlist 1,6,%s),$(d)/$(notdir $(m))))\n", n, e)
		w = 12
	}
	g.define(fmt.Sprintf("F_%d", n), w, 0)
}

func (g *pgen) module(f *file) {
	g.modules++
	kind := pick(g.r, "lib", "obj", "obj")
	f.printf("$(eval $(call module_tmpl,m%d,$(LIST_%d),%s))\n", g.modules, g.r.intn(numLists), kind)
}

func (g *pgen) explicitRule(f *file) string {
	n := g.uniq()
	obj := fmt.Sprintf("$(OBJDIR)/e%d.o", n)
	f.printf("%s: $(SRCDIR)/e%d.c $(firstword $(LIST_%d)) hdr/h%d.h | $(OBJDIR)\n", obj, n, g.r.intn(numLists), g.r.intn(100))
	f.printf("\t$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<\n")
	if g.r.chance(40) {
		f.printf("\t@echo '  CC $(notdir $@) from $(words $^) inputs'\n")
	}
	return obj
}

func (g *pgen) staticPattern(f *file) {
	n := g.uniq()
	f.printf("SP_%d := $(patsubst %%.c,$(OBJDIR)/sp%d/%%.i,$(sort $(filter %%.c,$(LIST_%d))))\n", n, n, g.r.intn(numLists))
	f.printf("$(SP_%d): $(OBJDIR)/sp%d/%%.i: %%.c\n\t$(CPP) $(CPPFLAGS) $< > $@\n", n, n)
}

func (g *pgen) patternRule(f *file) {
	n := g.uniq()
	if g.r.chance(50) {
		f.printf("%%.gen%d: %%.in%d\n\tsed -e 's/@N@/%d/' $< > $@\n", n, n, n)
	} else {
		f.printf("$(OBJDIR)/p%d/%%.o: $(SRCDIR)/%%.c $(SRCDIR)/%%.h\n\t$(COMPILE.c) $(OUTPUT_OPTION) $<\n", n)
	}
}

func (g *pgen) targetVars(f *file, objs []string) {
	n := g.uniq()
	switch {
	case len(objs) > 0 && g.r.chance(50):
		obj := objs[g.r.intn(len(objs))]
		f.printf("%s: CFLAGS += -DT%d\n", obj, n)
		f.printf("%s: private LOCAL_%d := $(firstword $(LIST_%d))\n", obj, n, g.r.intn(numLists))
	case g.r.chance(50):
		f.printf("%%.s%d: ASFLAGS := -g%d\n", n, n%4)
	default:
		f.printf("$(OBJDIR)/mod%d/%%.o: CPPFLAGS += -Imod%d -DPATTERN_%d\n", n%40, n%40, n)
	}
}

func (g *pgen) misc(f *file, objs []string) {
	n := g.uniq()
	switch g.r.intn(8) {
	case 0:
		f.printf("export EX_%d := %d\n", n, n)
		if g.r.chance(30) {
			f.printf("unexport EX_%d\n", n)
		}
	case 1:
		f.printf("override OV_%d := $(sort $(LIST_%d))\n", n, g.r.intn(numLists))
	case 2:
		f.printf("U_%d := gone\nundefine U_%d\n", n, n)
	case 3:
		f.printf("define MULTI_%d\nfirst line $(firstword $(LIST_%d))\nsecond line\nendef\n", n, g.r.intn(numLists))
	case 4:
		dep := "$(OBJDIR)"
		if len(objs) > 0 {
			dep = objs[g.r.intn(len(objs))]
		}
		f.printf(".PHONY: ph%d\nph%d: %s ; @echo $@\n", n, n, dep)
	case 5:
		f.printf("dc%d:: $(SRCDIR)/dc%d.c\n\t@echo one\ndc%d::\n\t@echo two\n", n, n, n)
	case 6:
		f.printf("vpath %%.h%d inc%d:inc/%d\n", n, n%7, n)
	default:
		f.printf("V_%d := $(value fn_%d) $(origin LIST_%d) $(flavor R_1)\n", n, g.r.intn(numFuncs), g.r.intn(numLists))
	}
}
