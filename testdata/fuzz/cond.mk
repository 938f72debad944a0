ifeq ($(A),)
X = empty
else ifneq "$(A)" 'b'
X = other
else
X = b
endif
ifdef X
ifndef Y
Z = $(X)
endif
endif
