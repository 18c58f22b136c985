#!/usr/bin/env bash
# Installs the Debian packages that sipwarden's build and test suite need.
# Idempotent: packages already present are not fetched again. Needs root (or sudo) only
# when something is missing. Each later feature adds its real test peers here.
set -euo pipefail

# build: better-sqlite3 compiles its native addon with node-gyp when no prebuilt binary can be fetched
PACKAGES=(python3 make g++)
# firewall tests: nft -c / iptables-restore --test, ban ipsets, network namespaces + veth (ip), unshare;
# log watcher tests (test/logwatch/netns.test.ts): nft, ipset and ip netns (nftables, ipset, iproute2)
PACKAGES+=(nftables iptables ipset iproute2 util-linux)
# gateway tests (test/gateway): Kamailio as the protected registrar, SIPp call flows, SIPVicious attacks
PACKAGES+=(kamailio sip-tester sipvicious)
# gateway: baresip as a real phone; log watcher/gateway: conntrack to drop a banned source's flows
PACKAGES+=(baresip conntrack)
# state: the Redis store adapter is tested against a real redis-server
PACKAGES+=(redis-server)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present (${#PACKAGES[@]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
