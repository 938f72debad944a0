#!/bin/sh
# mkbase.sh [IMAGE] — build the worker base image (default dmake-base:local)
# from this machine's own Debian: a minimal root made by debootstrap with a C
# toolchain (gcc, make, libc6-dev, binutils), upgraded from the same apt
# sources the machine uses (so gcc and libc match the host's packages and a
# build in a worker makes the same bytes as one on the host), then imported
# with `docker import`. No image is pulled from any registry.
#
# Idempotent: nothing is done when IMAGE exists. The root is kept as a
# tarball in $DMAKE_DOCKER_CACHE (default .cache/docker at the repository
# top) and imported again from there if the image was removed.
#
# Needs root (debootstrap, chroot). Installs debootstrap with apt if missing.
set -eu

image=${1:-dmake-base:local}
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${DMAKE_DOCKER_CACHE:-$top/.cache/docker}
tarball=$cache/base-rootfs.tar

if docker image inspect "$image" >/dev/null 2>&1; then
	echo "mkbase: $image exists"
	exit 0
fi
mkdir -p "$cache"

if [ ! -s "$tarball" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "mkbase: debootstrap needs root; run as root or build $image another way" >&2
		exit 1
	fi
	if ! command -v debootstrap >/dev/null 2>&1; then
		echo "mkbase: installing debootstrap"
		apt-get install -y -q debootstrap || { apt-get update -q && apt-get install -y -q debootstrap; }
	fi
	. /etc/os-release
	suite=${DMAKE_BASE_SUITE:-${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}}
	# The machine's first Debian mirror, from deb822 or one-line sources.
	mirror=${DMAKE_BASE_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\/*\)$/\1/p' | grep -v security | head -n 1)}
	[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\([^[:space:]]*\)[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	root=$cache/base-root
	rm -rf "$root"
	mkdir -p "$cache/debs"
	echo "mkbase: debootstrap $suite from $mirror into $root"
	debootstrap --variant=minbase --include=gcc,make,libc6-dev,binutils \
		--cache-dir="$cache/debs" "$suite" "$root" "$mirror"
	# Same sources as the host: its point releases and security updates.
	cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
	[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
	rm -f "$root/etc/apt/sources.list.d/"*disabled* 2>/dev/null || true
	# Keep only Debian's own entries (third-party ones need keys the root lacks).
	for f in "$root"/etc/apt/sources.list.d/*; do
		[ -f "$f" ] || continue
		grep -qi debian "$f" || rm -f "$f"
	done
	chroot "$root" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get -y -q dist-upgrade && apt-get clean'
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* \
		"$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/tmp/* 2>/dev/null || true
	tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$root"
fi
echo "mkbase: importing $tarball as $image"
docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'CMD ["/bin/sh"]' "$tarball" "$image"
