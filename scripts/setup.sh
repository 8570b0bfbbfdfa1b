#!/usr/bin/env bash
# Machine setup for agentpod's demo and tests on Debian/Ubuntu, as root: podman, uidmap, runc, git,
# python3 (and chromium for the report test unless --no-chromium), and an unprivileged user with
# subuid/subgid ranges for rootless podman ($AGENTPOD_TEST_USER, default "agentpod").
# Idempotent: installs only what is missing and says what it did.
set -euo pipefail
cd "$(dirname "$0")/.."

with_chromium=1
[ "${1:-}" = "--no-chromium" ] && with_chromium=0
user="${AGENTPOD_TEST_USER:-agentpod}"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs packages and creates the user \"$user\")" >&2
  exit 2
fi

packages=(podman uidmap runc git python3)
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
