$(
X = $(foo
ifeq (a
define
	recipe before target
endif
A = $(A)
