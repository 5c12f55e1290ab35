#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine (with only Node 20 and npm) for the build, the tests
# and the demo, and is safe to run again:
#   1. Debian packages the tests use (docker.io docker-registry buildah skopeo shellcheck openssl
#      ca-certificates prometheus), installed only when missing;
#   2. npm packages with `npm ci` (which also brings Node 24, the node@24 devDependency that npm
#      scripts run under), skipped when node_modules is already up to date with the lockfile;
#   3. dockerd, started in the background when `docker info` does not answer.
# Runs as root, or as a user who may sudo (root-only steps then go through `sudo -n`).
# Environment: SKIP_NPM_CI=1 never runs npm ci; NPM_CI=1 always does; SKIP_DOCKERD=1 leaves
# dockerd alone; DOCKERD_LOG (default /var/log/dockerd.log).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }
die() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }
can_sudo() { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
as_root() {
  if is_root; then
    "$@"
  elif can_sudo; then
    sudo -n "$@"
  else
    die "'$*' needs root: run this script as root or as a user with passwordless sudo"
  fi
}

# --- 1. Debian packages ------------------------------------------------------------------------
# A package counts as present when its program is on the PATH, so a machine that has Docker
# from another source (GitHub's runners ship docker-ce) is left alone. Docker counts by its
# daemon: some images ship the docker client alone, which cannot build anything.
packages=(docker.io docker-registry buildah skopeo shellcheck openssl ca-certificates prometheus)
program_of() {
  case "$1" in
    docker.io) echo dockerd ;;
    ca-certificates) echo update-ca-certificates ;;
    *) echo "$1" ;;
  esac
}
missing=()
for pkg in "${packages[@]}"; do
  if ! command -v "$(program_of "$pkg")" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$(program_of "$pkg")" ]; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
else
  log "Debian packages present: ${packages[*]}"
fi

# --- 2. npm packages ---------------------------------------------------------------------------
# npm writes node_modules/.package-lock.json at the end of a complete install; when it is newer
# than package-lock.json, the install matches the lockfile and npm ci would only redo it.
if [ "${SKIP_NPM_CI:-}" = 1 ]; then
  log "npm ci skipped (SKIP_NPM_CI=1)"
elif [ "${NPM_CI:-}" != 1 ] && [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  log "node_modules is up to date with package-lock.json (NPM_CI=1 forces npm ci)"
else
  log "npm ci"
  npm ci --no-audit --no-fund
fi
node24="node_modules/.bin/node"
[ -x "$node24" ] || die "$node24 is missing: npm ci did not install Node 24 (the node@24 devDependency)"
case "$("$node24" --version)" in
  v24.*) log "Node for npm scripts: $("$node24" --version)" ;;
  *) die "$node24 is $("$node24" --version), not Node 24" ;;
esac

# --- 3. dockerd --------------------------------------------------------------------------------
# As this user first (the tests run as this user), then as root (a dockerd already running
# whose socket this user may not use must not be started twice).
docker_answers() {
  docker info >/dev/null 2>&1 && return 0
  ! is_root && can_sudo && sudo -n docker info >/dev/null 2>&1
}
if [ "${SKIP_DOCKERD:-}" = 1 ]; then
  log "dockerd left alone (SKIP_DOCKERD=1)"
elif docker_answers; then
  log "dockerd is running"
else
  dockerd_log="${DOCKERD_LOG:-/var/log/dockerd.log}"
  log "starting dockerd (log: $dockerd_log)"
  # shellcheck disable=SC2016 # $1 is expanded by the inner sh, which gets the log path as $1
  as_root sh -c 'nohup dockerd --storage-driver=vfs --iptables=false --bridge=none >>"$1" 2>&1 </dev/null &' sh "$dockerd_log"
  for _ in $(seq 1 60); do
    if docker_answers; then
      log "dockerd is running"
      break
    fi
    sleep 1
  done
  if ! docker_answers; then
    as_root tail -n 20 "$dockerd_log" >&2 || true
    die "dockerd did not answer within 60 s (log: $dockerd_log)"
  fi
fi
log "setup done"
