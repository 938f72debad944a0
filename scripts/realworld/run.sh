#!/bin/bash
# run.sh PROJECT... — build real projects with GNU make and with the make
# under test, the same way, and compare what they made.
#
# For each project (lua zlib redis git; all when none is named):
#   1. copy the pristine tree (see fetch.sh) to a build path P and build it
#      with $REF_MAKE using the project's normal command; run it again (the
#      no-op run); move P aside as "gnu";
#   2. copy the pristine tree to the same path P and do the same with $DMAKE;
#      move P aside as "dmake";
#   3. compare: the build's exit status, the list of files, the contents of
#      every file (both trees were built at the same path, so embedded paths
#      agree; files that embed the date are listed in ignored()), and the
#      no-op run: exit 0, the same output as GNU make's no-op run (make's
#      name normalised, lines sorted), and no path created, removed or
#      touched other than those GNU make's own second run touches (none for
#      lua and zlib; redis regenerates src/Makefile.dep, git rewrites
#      temporary files in . and gitweb/).
# Prints "realworld: PROJECT: PASS" or "... FAIL: reasons" per project and
# exits 1 if any failed.
#
# Environment:
#   DMAKE            make under test (default bin/dmake at the repository top)
#   REF_MAKE         reference make (default /usr/bin/make, GNU make 4.3)
#   JOBS             build parallelism (default 2)
#   REALWORLD_CACHE  where fetch.sh keeps sources (default .cache/realworld)
#   REALWORLD_WORK   where the builds happen (default /tmp/dmake-realworld);
#                    outside any git checkout, because some projects ask git
#                    for a version and must not find dmake's repository.
#   REALWORLD_TIMEOUT  seconds a build (or no-op run) may take before it is
#                    stopped and counted as failed (default 3600; exit 124)
#   REALWORLD_COMPARE_ONLY  if set, skip the builds and compare the trees
#                    and logs a previous run left in $REALWORLD_WORK.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/scripts/realworld
DMAKE=${DMAKE:-$top/bin/dmake}
REF_MAKE=${REF_MAKE:-/usr/bin/make}
JOBS=${JOBS:-2}
TIMEOUT=${REALWORLD_TIMEOUT:-3600}
CACHE=${REALWORLD_CACHE:-$top/.cache/realworld}
WORK=${REALWORLD_WORK:-${TMPDIR:-/tmp}/dmake-realworld}
export REALWORLD_CACHE=$CACHE

abspath() {
	case $1 in
	/*) echo "$1" ;;
	*/*) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
	*) command -v "$1" ;;
	esac
}
DMAKE=$(abspath "$DMAKE") || { echo "run.sh: no make under test" >&2; exit 2; }
REF_MAKE=$(abspath "$REF_MAKE")
[ -x "$DMAKE" ] || { echo "run.sh: DMAKE=$DMAKE is not executable" >&2; exit 2; }

# The builds see one fixed environment, the same for both makes: no make
# variables inherited from a calling make (its jobserver, its flags), a fixed
# locale, and a fixed SOURCE_DATE_EPOCH (redis stamps its build id with the
# time otherwise).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES GNUMAKEFLAGS MAKEOVERRIDES MAKE_TERMOUT MAKE_TERMERR
export LC_ALL=C SOURCE_DATE_EPOCH=1700000000

# build_cmd PROJECT prints the project's normal build command; "$M" stands
# for the make being run and is expanded by the shell that runs it.
build_cmd() {
	case $1 in
	lua) echo '"$M" -j$JOBS linux' ;;
	zlib) echo './configure && "$M" -j$JOBS' ;;
	# Redis recurses into deps/. Its bundled jemalloc would add a long
	# autoconf run; libc's malloc keeps the build to what make does.
	redis) echo '"$M" -j$JOBS MALLOC=libc BUILD_TLS=no' ;;
	# Git with only what a bare machine has: no curl, expat, Tcl/Tk,
	# gettext or python; OpenSSL off so SHA-1 comes from git's own code.
	git) echo '"$M" -j$JOBS NO_OPENSSL=1 NO_CURL=1 NO_EXPAT=1 NO_TCLTK=1 NO_GETTEXT=1 NO_PYTHON=1' ;;
	*) return 1 ;;
	esac
}

# noop_cmd PROJECT prints the command of the second (no-op) run: the same
# make invocation without the configure step.
noop_cmd() {
	build_cmd "$1" | sed 's|^\./configure && ||'
}

# ignored PROJECT prints the files whose contents legitimately differ between
# two builds of the same tree at the same path, one per line.
ignored() {
	case $1 in
	zlib) echo ./configure.log ;;                # configure writes `date` into it
	git) echo ./templates/boilerplates.made ;;    # its recipe ends with `date >$@`
	esac
}

# snapshot DIR lists every file with its type, size and modification time.
snapshot() {
	(cd "$1" && find . -printf '%y %s %T@ %p\n' | sort -k4)
}

# normalise PROG rewrites the make's path and name in output to "make", so
# that GNU make's and dmake's outputs compare.
normalise() {
	P=$1 N=$(basename "$1") perl -pe 's/\Q$ENV{P}\E/make/g; s/^\Q$ENV{N}\E(\[\d+\])?:/make$1:/'
}

# build_with SIDE MAKE: build a fresh copy at $P with MAKE, log to $W/SIDE.*
build_with() {
	side=$1 M=$2
	rm -rf "$P"
	cp -a "$CACHE/src/$proj" "$P"
	cmd=$(build_cmd "$proj")
	start=$(date +%s.%N)
	(cd "$P" && M=$M JOBS=$JOBS timeout -k 10 "$TIMEOUT" sh -c "$cmd") >"$W/$side.build.log" 2>&1
	echo $? >"$W/$side.build.rc"
	mid=$(date +%s.%N)
	snapshot "$P" >"$W/$side.before-noop"
	ncmd=$(noop_cmd "$proj")
	(cd "$P" && M=$M JOBS=$JOBS timeout -k 10 "$TIMEOUT" sh -c "$ncmd") >"$W/$side.noop.raw" 2>&1
	echo $? >"$W/$side.noop.rc"
	end=$(date +%s.%N)
	snapshot "$P" >"$W/$side.after-noop"
	normalise "$M" <"$W/$side.noop.raw" >"$W/$side.noop.log"
	normalise "$M" <"$W/$side.build.log" >"$W/$side.build.norm"
	echo "$start $mid $end" | awk '{printf "build %.1fs, no-op %.2fs\n", $2-$1, $3-$2}' >"$W/$side.times"
	rm -rf "${W:?}/$side"
	mv "$P" "$W/$side"
}

# timed_out NAME prints " (timed out)" if the run whose status is in
# $W/NAME.rc was stopped by timeout(1).
timed_out() {
	[ "$(cat "$W/$1.rc")" = 124 ] && echo " (timed out after ${TIMEOUT}s)"
}

# compare_trees: append reasons to $W/fail for differences between gnu/ and dmake/.
compare_trees() {
	(cd "$W/gnu" && find . \( -type f -o -type l \) | sort) >"$W/gnu.files"
	(cd "$W/dmake" && find . \( -type f -o -type l \) | sort) >"$W/dmake.files"
	if ! diff "$W/gnu.files" "$W/dmake.files" >"$W/files.diff"; then
		echo "file lists differ ($(grep -c '^[<>]' "$W/files.diff") files; see $W/files.diff)" >>"$W/fail"
	fi
	ignored "$proj" >"$W/ignored"
	: >"$W/contents.diff"
	comm -12 "$W/gnu.files" "$W/dmake.files" | grep -vxF -f "$W/ignored" | while read -r f; do
		if [ -L "$W/gnu/$f" ] || [ -L "$W/dmake/$f" ]; then
			[ "$(readlink "$W/gnu/$f")" = "$(readlink "$W/dmake/$f")" ] || echo "$f" >>"$W/contents.diff"
		elif ! cmp -s "$W/gnu/$f" "$W/dmake/$f"; then
			echo "$f" >>"$W/contents.diff"
		fi
	done
	if [ -s "$W/contents.diff" ]; then
		echo "contents differ in $(wc -l <"$W/contents.diff") files: $(head -n 5 "$W/contents.diff" | tr '\n' ' ')(see $W/contents.diff)" >>"$W/fail"
	fi
}

# check_noop SIDE: the second run must succeed; record which paths it
# created, removed or touched in $W/SIDE.noop.paths.
check_noop() {
	side=$1 what=$2
	[ "$(cat "$W/$side.noop.rc")" = 0 ] || echo "$what no-op run exited $(cat "$W/$side.noop.rc")$(timed_out "$side.noop")" >>"$W/fail"
	diff "$W/$side.before-noop" "$W/$side.after-noop" >"$W/$side.noop.changes"
	grep '^[<>]' "$W/$side.noop.changes" | cut -d' ' -f5- | sort -u >"$W/$side.noop.paths"
}

# compare_noop: the make under test's second run must change nothing, or,
# where GNU make's own second run does work (redis regenerates a dependency
# file that its first run deleted), exactly the same paths as GNU make's.
compare_noop() {
	if [ -s "$W/gnu.noop.paths" ]; then
		echo "realworld: $proj: note: GNU make's second run also changes $(wc -l <"$W/gnu.noop.paths") paths: $(head -n 5 "$W/gnu.noop.paths" | tr '\n' ' ')"
	fi
	if ! diff "$W/gnu.noop.paths" "$W/dmake.noop.paths" >"$W/noop-paths.diff"; then
		echo "the no-op run changed $(wc -l <"$W/dmake.noop.paths") paths, GNU make's $(wc -l <"$W/gnu.noop.paths") (see $W/noop-paths.diff)" >>"$W/fail"
	fi
	# -j output interleaves, so the no-op outputs are compared line-sorted.
	if ! diff <(sort "$W/gnu.noop.log") <(sort "$W/dmake.noop.log") >"$W/noop.diff"; then
		echo "no-op output differs from GNU make's (see $W/noop.diff)" >>"$W/fail"
	fi
}

run_project() {
	proj=$1
	W=$WORK/$proj P=$WORK/$proj/tree
	if ! build_cmd "$proj" >/dev/null; then
		echo "realworld: $proj: FAIL: unknown project"
		return 1
	fi
	"$here/fetch.sh" "$proj" >"$WORK/fetch-$proj.log" 2>&1 || {
		echo "realworld: $proj: FAIL: could not fetch sources (see $WORK/fetch-$proj.log)"
		return 1
	}
	mkdir -p "$W"
	rm -f "$W/fail"
	if [ -z "${REALWORLD_COMPARE_ONLY:-}" ]; then
		echo "realworld: $proj: building with $REF_MAKE at $P"
		build_with gnu "$REF_MAKE"
	fi
	echo "realworld: $proj: GNU make: $(cat "$W/gnu.times"), exit $(cat "$W/gnu.build.rc")"
	if [ -z "${REALWORLD_COMPARE_ONLY:-}" ]; then
		echo "realworld: $proj: building with $DMAKE at $P"
		build_with dmake "$DMAKE"
	fi
	echo "realworld: $proj: dmake:    $(cat "$W/dmake.times"), exit $(cat "$W/dmake.build.rc")"

	if [ "$(cat "$W/gnu.build.rc")" != 0 ]; then
		echo "reference build with GNU make failed$(timed_out gnu.build) (see $W/gnu.build.log)" >>"$W/fail"
	fi
	if [ "$(cat "$W/dmake.build.rc")" != "$(cat "$W/gnu.build.rc")" ]; then
		echo "build exited $(cat "$W/dmake.build.rc")$(timed_out dmake.build), GNU make's $(cat "$W/gnu.build.rc") (see $W/dmake.build.log)" >>"$W/fail"
	fi
	compare_trees
	check_noop gnu "GNU make's"
	check_noop dmake "the"
	compare_noop
	# At -j the clean build's output interleaves differently from run to
	# run; only a difference in the lines themselves is worth a note.
	if ! diff <(sort "$W/gnu.build.norm") <(sort "$W/dmake.build.norm") >/dev/null; then
		echo "realworld: $proj: note: clean-build output differs: diff $W/gnu.build.norm $W/dmake.build.norm"
	fi
	if [ -s "$W/fail" ]; then
		echo "realworld: $proj: FAIL: $(paste -sd ';' "$W/fail" | sed 's/;/; /g')"
		return 1
	fi
	if [ -s "$W/gnu.noop.paths" ]; then
		echo "realworld: $proj: PASS ($(wc -l <"$W/gnu.files") files equal; second run does what GNU make's does)"
	else
		echo "realworld: $proj: PASS ($(wc -l <"$W/gnu.files") files equal; second run does nothing)"
	fi
}

mkdir -p "$WORK"
status=0
for proj in ${*:-lua zlib redis git}; do
	run_project "$proj" || status=1
done
exit $status
