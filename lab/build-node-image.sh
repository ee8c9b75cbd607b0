#!/usr/bin/env bash
# Builds the lab's node image: a systemd Debian 12 made by debootstrap from Debian's packages
# (no image can be pulled here). Usage: build-node-image.sh IMAGE_TAG WORKDIR
set -euo pipefail
image=$1 workdir=$2
rootfs="$workdir/rootfs"
rm -rf "$rootfs"; mkdir -p "$workdir"

# What a freshly installed minimal Debian server has; every role installs what it needs itself.
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,openssh-server,ca-certificates,kmod,procps,iputils-ping \
  bookworm "$rootfs" >"$workdir/debootstrap.log" 2>&1 || { tail -20 "$workdir/debootstrap.log"; exit 1; }

# A container has no consoles and no udev.
for unit in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-remount-fs.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done

# Each host gets its own ssh host keys and machine-id at first boot, not baked ones.
rm -f "$rootfs"/etc/ssh/ssh_host_*
cat >"$rootfs/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=Generate ssh host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ssh-host-keys.service "$rootfs/etc/systemd/system/multi-user.target.wants/ssh-host-keys.service"
: >"$rootfs/etc/machine-id"

# The operator account Ansible uses, as on a data-center host: key-only ssh, sudo for root.
chroot "$rootfs" useradd --create-home --shell /bin/bash --groups sudo caas
echo 'caas ALL=(ALL) NOPASSWD: ALL' >"$rootfs/etc/sudoers.d/caas"
chmod 0440 "$rootfs/etc/sudoers.d/caas"
install -d -m 0700 -o 1000 -g 1000 "$rootfs/home/caas/.ssh"

# Debian's security updates, as on an installed server: the security archive beside the mirror
# debootstrap used.
mirror=$(awk '$1 == "deb" {print $2; exit}' "$rootfs/etc/apt/sources.list")
echo "deb ${mirror%/debian}/debian-security bookworm-security main" >>"$rootfs/etc/apt/sources.list"

# Empty package lists dated in the past, so apt's cache_valid_time really refreshes them.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
touch -d 2000-01-01 "$rootfs/var/lib/apt/lists"

# The host's init: podman 4 on a cgroup v1 machine (--systemd=always) bind-mounts the machine's whole name=systemd
# hierarchy over the host's own view of it, so every host's systemd, and every kubelet's pods, shared one tree (a pod
# scope one host removed under another: docs/lab.md). Taking that bind away leaves the cgroup namespace's own view.
cat >"$rootfs/usr/local/sbin/lab-init" <<'INIT'
#!/bin/sh
set -e
if [ "$(awk '$5 == "/sys/fs/cgroup/systemd"' /proc/self/mountinfo | wc -l)" -gt 1 ]; then
  ! mountpoint -q /sys/fs/cgroup/systemd/release_agent || umount /sys/fs/cgroup/systemd/release_agent
  umount /sys/fs/cgroup/systemd
fi
exec /sbin/init "$@"
INIT
chmod 0755 "$rootfs/usr/local/sbin/lab-init"

tar --numeric-owner -C "$rootfs" -c . | podman import \
  --change 'CMD ["/usr/local/sbin/lab-init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'LABEL caas.platform/lab-image=true' - "$image" >/dev/null
rm -rf "$rootfs"
