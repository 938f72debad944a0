#!/bin/sh
# fetch.sh [PROJECT...] — download and unpack the Debian source packages of the
# real-world projects into $CACHE/src/<project>/ (default .cache/realworld at
# the repository top, which git ignores).
#
# It uses a private apt configuration: the machine's own enabled Debian source
# entries, copied and switched from "deb" to "deb-src", with private list,
# cache and state directories, so the system's apt is never touched. Nothing
# is installed. A second run reuses what is already unpacked.
#
# Projects: lua zlib redis git (all when none is named).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${REALWORLD_CACHE:-$top/.cache/realworld}
projects=${*:-lua zlib redis git}

# Debian source package for each project.
srcpkg() {
	case $1 in
	lua) echo lua5.4 ;;
	zlib) echo zlib ;;
	redis) echo redis ;;
	git) echo git ;;
	*) echo "fetch.sh: unknown project '$1'" >&2; return 1 ;;
	esac
}

# patchopt prints dpkg-source's option for a project's Debian patches. Lua's
# Debian patches rewrite its Makefile around libtool; upstream's plain
# Makefile ("make linux") is the one real users run, so those are skipped.
# The other projects keep Debian's patches (security fixes, CPPFLAGS).
patchopt() {
	case $1 in
	lua) echo --skip-patches ;;
	esac
}

apt_dir=$CACHE/apt
aptopts() {
	printf '%s\n' \
		-o "Dir::Etc::sourcelist=$apt_dir/sources.list" \
		-o "Dir::Etc::sourceparts=$apt_dir/sources.list.d" \
		-o "Dir::State::Lists=$apt_dir/lists" \
		-o "Dir::Cache=$apt_dir/cache" \
		-o "Dir::State::status=$apt_dir/status" \
		-o "APT::Sandbox::User=root" \
		-o "Debug::NoLocking=1"
}

# setup_apt writes the private deb-src configuration from the machine's own.
setup_apt() {
	mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	: >"$apt_dir/status"
	: >"$apt_dir/sources.list"
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >>"$apt_dir/sources.list"
	fi
	for f in /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$apt_dir/sources.list"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Keep only Debian's own archives: third-party repositories rarely
		# publish sources and would only make the update fail.
		grep -qi 'debian' "$f" || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
	done
}

update_apt() {
	# Refresh at most once a day.
	stamp=$apt_dir/updated
	if [ -f "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ]; then
		return 0
	fi
	# shellcheck disable=SC2046
	apt-get -q $(aptopts) update
	touch "$stamp"
}

fetch_one() {
	p=$1
	pkg=$(srcpkg "$p")
	dest=$CACHE/src/$p
	if [ -f "$dest/.dmake-fetched" ]; then
		echo "fetch.sh: $p: cached in $dest"
		return 0
	fi
	if [ -z "${apt_ready:-}" ]; then
		setup_apt
		update_apt
		apt_ready=1
	fi
	dl=$CACHE/dl/$pkg
	mkdir -p "$dl"
	# shellcheck disable=SC2046
	(cd "$dl" && apt-get -q $(aptopts) source --download-only "$pkg")
	dsc=$(ls "$dl"/*.dsc | sort | tail -n 1)
	rm -rf "$dest" "$dl/tree"
	mkdir -p "$CACHE/src"
	# dpkg-source links the original tarballs next to the tree it unpacks,
	# so unpack inside the download directory, then move the tree.
	# shellcheck disable=SC2046
	dpkg-source --no-check $(patchopt "$p") -x "$dsc" "$dl/tree" >/dev/null
	basename "$dsc" >"$dl/tree/.dmake-fetched"
	mv "$dl/tree" "$dest"
	echo "fetch.sh: $p: unpacked $(basename "$dsc") into $dest"
}

# ensure_tools installs, through the system's apt, the few tools that
# unpacking and building need and that a bare machine may lack: dpkg-source
# (dpkg-dev), a C compiler (gcc) and the C library headers (libc6-dev).
ensure_tools() {
	missing=
	command -v dpkg-source >/dev/null || missing="$missing dpkg-dev"
	command -v cc >/dev/null || missing="$missing gcc"
	[ -f /usr/include/stdio.h ] || missing="$missing libc6-dev"
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "fetch.sh: missing tools; install:$missing" >&2
		return 1
	fi
	echo "fetch.sh: installing$missing" >&2
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

ensure_tools
for p in $projects; do
	fetch_one "$p"
done
