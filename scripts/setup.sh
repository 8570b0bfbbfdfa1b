#!/usr/bin/env bash
# Machine setup for agentpod's demo and tests on Debian/Ubuntu, as root: podman, uidmap, runc, git,
# python3 (and chromium for the report test unless --no-chromium), an unprivileged user with
# subuid/subgid ranges for rootless podman ($AGENTPOD_TEST_USER, default "agentpod"), and the realistic
# SWE-bench-style instance image (docs/instances.md), built once per recipe into /var/cache/agentpod/instances.
# Idempotent: installs and builds only what is missing and says what it did.
# Flags: --no-chromium, --rebuild-instances (build the instance again even when it is cached).
set -euo pipefail
cd "$(dirname "$0")/.."

with_chromium=1
rebuild_instances=()
for arg in "$@"; do
  case "$arg" in
    --no-chromium) with_chromium=0 ;;
    --rebuild-instances) rebuild_instances=(--rebuild) ;;
    *) echo "setup: unknown flag $arg (known: --no-chromium, --rebuild-instances)" >&2; exit 2 ;;
  esac
done
user="${AGENTPOD_TEST_USER:-agentpod}"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs packages and creates the user \"$user\")" >&2
  exit 2
fi

# debootstrap and zstd build the instance image's rootfs and its tarball (debootstrap also the bench's real-size images).
packages=(podman uidmap runc git python3 debootstrap zstd)
[ "$with_chromium" = 1 ] && packages+=(chromium)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! id "$user" >/dev/null 2>&1; then
  echo "setup: creating user $user for the rootless part (useradd -m)"
  useradd -m -s /bin/bash "$user"
fi
grep -q "^$user:" /etc/subuid || usermod --add-subuids 100000-165535 "$user"
grep -q "^$user:" /etc/subgid || usermod --add-subgids 100000-165535 "$user"

# The user runs dist/cli.js and node_modules/.bin/claude from this checkout: every parent folder
# must be searchable by it.
dir="$PWD"
while [ "$dir" != "/" ]; do
  if ! runuser -u "$user" -- test -x "$dir"; then
    echo "setup: making $dir searchable (chmod o+x) for $user"
    chmod o+x "$dir"
  fi
  dir="$(dirname "$dir")"
done

# Native rootless overlay instead of podman's silent vfs default: vfs copies the whole image for every
# container and commit (measured on a 1 GB image: 10-19 s per keep-id launch on vfs, 0.23 s warm on overlay).
# Only where the kernel mounts overlay in a user namespace, and never over an existing store of another driver.
uid="$(id -u "$user")"
home="$(getent passwd "$user" | cut -d: -f6)"
conf="$home/.config/containers/storage.conf"
if [ -e "$conf" ]; then
  echo "setup: $conf exists; leaving $user's storage settings as they are"
elif ! runuser -u "$user" -- bash -c 'd=$(mktemp -d) && mkdir "$d"/{l,u,w,m} && unshare --user --map-root-user --mount mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m"; r=$?; rm -rf "$d"; exit $r' 2>/dev/null; then
  echo "setup: this kernel cannot mount overlay in a user namespace; $user's podman keeps the vfs driver (slow: every container start copies the image)"
elif [ -d "$home/.local/share/containers/storage/vfs" ]; then
  echo "setup: $user's podman store already holds vfs images; to switch to overlay, run as $user: podman system reset, then rerun setup"
else
  install -d -o "$user" -g "$user" "$home/.config" "$home/.config/containers"
  cat > "$conf" <<CONF
# Written by agentpod's scripts/setup.sh: native rootless overlay (the kernel supports it here).
[storage]
driver = "overlay"
runroot = "/tmp/podman-run-$uid/containers"
graphroot = "$home/.local/share/containers/storage"
CONF
  chown "$user:$user" "$conf"
  echo "setup: $user's podman uses native overlay storage ($conf)"
fi

# The realistic instance image: a Debian rootfs with a real project at /testbed, built once per recipe (a minute or
# two) into a world-readable cache that every user's `podman import` reads. The builder runs from dist/.
if [ ! -f dist/instances/setup-main.js ] || [ -n "$(find src -newer dist/instances/setup-main.js -print -quit)" ]; then
  echo "setup: npm run build (the instance builder runs from dist/)"
  npm run --silent build
fi
cache="${AGENTPOD_INSTANCE_CACHE:-/var/cache/agentpod/instances}"
mkdir -p "$cache"
flock "$cache/.build.lock" node dist/instances/setup-main.js "${rebuild_instances[@]}"
