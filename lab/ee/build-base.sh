#!/usr/bin/env bash
# The execution environment's base image: Debian 12 made by debootstrap from Debian's packages (no image can be
# pulled here), with what ansible-builder's build needs of a base: python3 and pip (Debian disables ensurepip), apt.
# Usage: build-base.sh IMAGE_TAG WORKDIR
set -euo pipefail
image=$1 workdir=$2
rootfs="$workdir/ee-rootfs"
rm -rf "$rootfs"; mkdir -p "$workdir"
debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
  bookworm "$rootfs" >"$workdir/ee-debootstrap.log" 2>&1 || { tail -20 "$workdir/ee-debootstrap.log"; exit 1; }
# Debian's security updates beside the mirror debootstrap used, as on the lab's hosts.
mirror=$(awk '$1 == "deb" {print $2; exit}' "$rootfs/etc/apt/sources.list")
echo "deb ${mirror%/debian}/debian-security bookworm-security main" >>"$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
tar --numeric-owner -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' \
  --change 'LABEL caas.platform/ee-base=true' - "$image" >/dev/null
rm -rf "$rootfs"
