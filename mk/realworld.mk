# Real projects built by GNU make 4.3 and by dmake, artifacts compared:
# see scripts/realworld/run.sh. Included by the top Makefile.
#
#   make realworld                              # bin/dmake (built first), all projects
#   make realworld DMAKE=/usr/bin/make          # sanity: GNU make against itself
#   make realworld REALWORLD_PROJECTS='lua zlib'
REALWORLD_PROJECTS ?= lua zlib redis git

.PHONY: realworld realworld-fetch
realworld-fetch:
	scripts/realworld/fetch.sh $(REALWORLD_PROJECTS)

realworld: $(if $(DMAKE),,build) realworld-fetch
	DMAKE='$(or $(DMAKE),$(CURDIR)/bin/dmake)' scripts/realworld/run.sh $(REALWORLD_PROJECTS)
