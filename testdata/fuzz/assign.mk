A = $(B) x
B := y
C ::= $(A)
C += more
D ?= $(C)
E != echo hi
override F = 1
export G = 2
private H = 3
define I :=
line $(A)
endef
undefine H
$(info $(A) $(C) $(D) $(E) $(I))
