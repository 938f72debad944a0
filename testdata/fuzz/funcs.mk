L := a.c b.c c.o
$(info $(patsubst %.c,%.o,$(L)) $(filter %.c,$(L)) $(sort z a z) $(word 2,$(L)))
$(info $(foreach x,$(L),[$x]) $(if $(L),yes,no) $(or ,b) $(and a,b))
f = <$(1)|$(2)>
$(info $(call f,one,two) $(origin f) $(flavor f) $(value f))
$(eval g := $(call f,x))
$(info $(g) $(subst a,b,$(L)) $(words $(L)) $(dir a/b c) $(notdir a/b))
