.PHONY: all
all: a.o b.o | dir ; @echo $@ $^ $|
%.o: %.c
	$(CC) -c $< -o $@
b.o: CFLAGS += -g
a.x b.x &: src
	touch $^
objs := x.o y.o
$(objs): %.o: %.s
d:: ; @:
d:: e ; @:
.SUFFIXES: .q .r
.q.r: ; cp $< $@
