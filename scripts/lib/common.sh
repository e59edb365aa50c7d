# Shared helpers for scripts/setup, scripts/test and scripts/testbed. Source it; it defines
# functions and variables only, and runs nothing.
# shellcheck shell=bash

# Absolute path of the repository (the folder holding scripts/).
FC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Name of the calling script, for messages ("setup: ...").
FC_SELF=${FC_SELF:-$(basename "$0")}

fc_info() { printf '%s: %s\n' "$FC_SELF" "$*"; }
fc_warn() { printf '%s: warning: %s\n' "$FC_SELF" "$*" >&2; }

# fc_die MESSAGE [STATUS]: print MESSAGE on stderr and exit with STATUS (default 1).
fc_die() { printf '%s: error: %s\n' "$FC_SELF" "$1" >&2; exit "${2:-1}"; }

fc_is_root() { [ "$(id -u)" = 0 ]; }
fc_have() { command -v "$1" >/dev/null 2>&1; }

# fc_pkg_installed PKG: true when dpkg says PKG is fully installed.
fc_pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# fc_pid_alive PID: true when PID is a live process (not a zombie).
fc_pid_alive() {
	local pid=$1 state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# fc_stop_pid PID [GRACE_TENTHS]: SIGTERM, wait up to GRACE_TENTHS/10 s (default 20), then
# SIGKILL. Bounded: returns once the process is gone or after the SIGKILL wait.
fc_stop_pid() {
	local pid=$1 grace=${2:-20} i
	fc_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < grace; i++)); do
		fc_pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		fc_pid_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}
