/**
 * Running commands from the script: bounded by timeout(1) or a shell watchdog, output capped,
 * status and reason worded like the live runner (run-command.ts, walk-context.ts); and the
 * `versions` items, which run BINARY --version for every matching executable.
 */
import {sh} from './shell.js'

/** nr_run and nr_cmd: one spec command, with its fallback and needs-root rules. */
export const SCRIPT_COMMANDS = sh`
# Permission text in a failed command's first stderr line.
nr_is_permission() {
	case $1 in
	*[Pp]ermission\ denied* | *[Oo]peration\ not\ permitted* | *PERMISSION\ DENIED* | *OPERATION\ NOT\ PERMITTED*) return 0 ;;
	esac
	return 1
}

# How commands are bounded: coreutils/busybox timeout (with or without -k), or a shell watchdog.
if timeout -k 1 5 true >/dev/null 2>&1; then
	nr_timer=timeout-k
elif timeout 5 true >/dev/null 2>&1; then
	nr_timer=timeout
else
	nr_timer=watchdog
fi

# The watchdog for systems without timeout: TERM after the timeout, KILL 2 s later.
nr_watchdog() {
	"$@" </dev/null >"$nr_o" 2>"$nr_e" &
	nr_pid=$!
	(
		nr_sleep=
		trap 'kill "$nr_sleep" 2>/dev/null; exit 0' TERM
		sleep "$nr_timeout" &
		nr_sleep=$!
		wait "$nr_sleep"
		kill -TERM "$nr_pid" 2>/dev/null || exit 0
		: >"$nr_work/timed-out"
		sleep 2 &
		nr_sleep=$!
		wait "$nr_sleep"
		kill -KILL "$nr_pid" 2>/dev/null
	) &
	nr_dog=$!
	wait "$nr_pid"
	nr_rc=$?
	kill "$nr_dog" 2>/dev/null
	wait "$nr_dog" 2>/dev/null
	return "$nr_rc"
}

# nr_run OUT ERR ARGV...: runs ARGV bounded by the timeout; sets nr_rc and nr_timed_out.
nr_run() {
	nr_o=$1
	nr_e=$2
	shift 2
	rm -f "$nr_work/timed-out"
	case $nr_timer in
	timeout-k) timeout -k 2 "$nr_timeout" "$@" </dev/null >"$nr_o" 2>"$nr_e" ;;
	timeout) timeout "$nr_timeout" "$@" </dev/null >"$nr_o" 2>"$nr_e" ;;
	*) nr_watchdog "$@" ;;
	esac
	nr_rc=$?
	nr_elapsed
	nr_timed_out=0
	if [ -f "$nr_work/timed-out" ] || [ "$nr_rc" = 124 ]; then
		nr_timed_out=1
	elif [ "$nr_rc" = 143 ] || [ "$nr_rc" = 137 ]; then
		# busybox timeout reports the killed command's own status: tell it by the time spent.
		[ "$nr_dur" -lt $((nr_timeout * 1000 - 500)) ] || nr_timed_out=1
	fi
}

# nr_argv_json ARGV...: the "argv" member of the current entry.
nr_argv_json() {
	nr_a='['
	nr_sep=
	for nr_arg; do
		nr_json "$nr_arg"
		nr_a="$nr_a$nr_sep$nr_j"
		nr_sep=', '
	done
	nr_fieldn argv "$nr_a]"
}

nr_cmd_skipped() {
	nr_fieldn bytes 0
	nr_field reason "$1"
	nr_entry command "$nr_cid" "$nr_cgroup" skipped 0
}

# nr_cmd ID GROUP MAXBYTES NEEDS_ROOT FALLBACK_FOR ARGV...: one command, stdout to
# commands/ID.out and stderr to commands/ID.err (kept only when not empty).
nr_cmd() {
	nr_cid=$1
	nr_cgroup=$2
	nr_cmax=$3
	nr_croot=$4
	nr_cfallback=$5
	shift 5
	nr_start
	nr_argv_json "$@"
	if [ "$nr_croot" = 1 ] && [ "$nr_uid" != 0 ]; then
		nr_cmd_skipped 'needs root'
		return 0
	fi
	if [ -n "$nr_cfallback" ] && [ -f "$nr_work/usable.$nr_cfallback" ]; then
		nr_cmd_skipped "not needed: $nr_cfallback succeeded"
		return 0
	fi
	if ! command -v "$1" >/dev/null 2>&1; then
		nr_elapsed
		nr_fieldn exitCode null
		nr_fieldn bytes 0
		nr_field reason 'not installed'
		nr_entry command "$nr_cid" "$nr_cgroup" missing "$nr_dur"
		return 0
	fi
	nr_cout=$nr_cap/commands/$nr_cid.out
	nr_cerr=$nr_cap/commands/$nr_cid.err
	nr_run "$nr_cout" "$nr_cerr" "$@"
	nr_cap_file "$nr_cout" "$nr_cmax"
	nr_cout_truncated=$nr_truncated
	nr_cout_bytes=$nr_bytes
	nr_cap_file "$nr_cerr" "$nr_cmax"
	nr_first_line "$nr_cerr"
	[ -s "$nr_cerr" ] || rm -f "$nr_cerr"
	nr_stored=1
	if [ "$nr_timed_out" = 1 ]; then
		nr_status=timed-out
		nr_field reason "timed out after \${nr_timeout}s (partial output kept)"
	elif [ "$nr_rc" = 0 ]; then
		nr_status=ok
	elif [ "$nr_rc" = 127 ]; then
		nr_status=missing
		nr_field reason 'not installed'
		nr_stored=0
	elif [ "$nr_rc" = 126 ]; then
		nr_status=permission-denied
		nr_field reason 'not executable by this user'
	elif [ -n "$nr_err" ] && nr_is_permission "$nr_err"; then
		nr_status=permission-denied
		if [ "$nr_cid" = dmesg ]; then
			nr_field reason 'kernel.dmesg_restrict=1: reading the kernel log needs root (CAP_SYSLOG)'
		else
			nr_field reason "permission denied: $nr_err"
		fi
	else
		nr_status=failed
		nr_field reason "\${nr_err:-exit status $nr_rc}"
	fi
	nr_fieldn exitCode "$nr_rc"
	nr_fieldn bytes "$nr_cout_bytes"
	[ "$nr_cout_truncated" = 0 ] || nr_fieldn truncated true
	if [ "$nr_stored" = 1 ]; then
		nr_field stored "commands/$nr_cid.out"
	else
		rm -f "$nr_cout" "$nr_cerr"
	fi
	if [ "$nr_status" = ok ] && [ "$nr_cout_bytes" -gt 0 ]; then
		: >"$nr_work/usable.$nr_cid"
	fi
	nr_entry command "$nr_cid" "$nr_cgroup" "$nr_status" "$nr_dur"
}
`

/** nr_versions: the `versions` spec items (emitted after SCRIPT_DERIVED, which it does not use). */
export const SCRIPT_VERSIONS = sh`
# Real path of a directory, or nothing when it does not exist.
nr_real_dir() {
	(cd -P "$1" 2>/dev/null && pwd)
}

if readlink -f / >/dev/null 2>&1; then nr_have_readlink_f=1; else nr_have_readlink_f=0; fi

nr_real_file() {
	if [ "$nr_have_readlink_f" = 1 ]; then readlink -f "$1"; else printf '%s\n' "$1"; fi
}

# nr_versions ID GROUP "NAME..." "GLOB..." NOT_FOUND_REASON EXTRA_DIR...: BINARY --version for every
# executable in PATH and the extra directories whose name matches, once per real file, named
# after the path that carries the real name (kvm -> qemu-system-x86_64 runs as qemu-system-x86_64).
nr_versions() {
	nr_vid=$1
	nr_vgroup=$2
	nr_vnames=$3
	nr_vglobs=$4
	nr_vreason=$5
	shift 5
	nr_vseen_dirs=' '
	nr_vseen_bins=' '
	nr_vlist=$nr_work/versions
	: >"$nr_vlist"
	nr_ifs=$IFS
	IFS=:
	# shellcheck disable=SC2086 # split PATH on colons
	set -- $PATH "$@"
	IFS=$nr_ifs
	for nr_vdir; do
		case $nr_vdir in /*) ;; *) continue ;; esac
		nr_vreal=$(nr_real_dir "$nr_vdir") || continue
		[ -n "$nr_vreal" ] || continue
		case $nr_vseen_dirs in *" $nr_vreal "*) continue ;; esac
		nr_vseen_dirs="$nr_vseen_dirs$nr_vreal "
		for nr_vbin in "$nr_vdir"/*; do
			nr_vbase=\${nr_vbin##*/}
			nr_vwanted=0
			for nr_vname in $nr_vnames; do
				[ "$nr_vbase" != "$nr_vname" ] || nr_vwanted=1
			done
			for nr_vglob in $nr_vglobs; do
				# shellcheck disable=SC2254 # the glob is a pattern on purpose
				case $nr_vbase in $nr_vglob) nr_vwanted=1 ;; esac
			done
			if [ "$nr_vwanted" = 0 ] || [ ! -f "$nr_vbin" ] || [ ! -x "$nr_vbin" ]; then
				continue
			fi
			nr_vrealbin=$(nr_real_file "$nr_vbin")
			case $nr_vseen_bins in
			*" $nr_vrealbin "*)
				[ "$nr_vbase" != "\${nr_vrealbin##*/}" ] || nr_versions_prefer "$nr_vrealbin" "$nr_vbin"
				continue
				;;
			esac
			nr_vseen_bins="$nr_vseen_bins$nr_vrealbin "
			printf '%s\n%s\n' "$nr_vrealbin" "$nr_vbin" >>"$nr_vlist"
		done
	done
	if [ ! -s "$nr_vlist" ]; then
		nr_start
		nr_fieldn bytes 0
		nr_field reason "$nr_vreason"
		nr_entry command "$nr_vid-version" "$nr_vgroup" missing 0
		return 0
	fi
	nr_vused_ids=' '
	while IFS= read -r nr_vrealbin && IFS= read -r nr_vbin; do
		nr_vbase_id=$nr_vid-version-$(printf '%s' "\${nr_vbin##*/}" | tr -c 'A-Za-z0-9._-' '_')
		nr_vcid=$nr_vbase_id
		nr_vn=2
		while :; do
			case $nr_vused_ids in *" $nr_vcid "*) ;; *) break ;; esac
			nr_vcid=$nr_vbase_id-$nr_vn
			nr_vn=$((nr_vn + 1))
		done
		nr_vused_ids="$nr_vused_ids$nr_vcid "
		nr_cmd "$nr_vcid" "$nr_vgroup" "$NR_DEFAULT_MAX" 0 '' "$nr_vbin" --version
	done <"$nr_vlist"
}

# nr_versions_prefer REAL PATH: PATH replaces the path kept for REAL unless that one already
# carries the real name.
nr_versions_prefer() {
	while IFS= read -r nr_pr && IFS= read -r nr_pp; do
		if [ "$nr_pr" = "$1" ] && [ "\${nr_pp##*/}" != "\${1##*/}" ]; then nr_pp=$2; fi
		printf '%s\n%s\n' "$nr_pr" "$nr_pp"
	done <"$nr_vlist" >"$nr_vlist.new"
	mv -f "$nr_vlist.new" "$nr_vlist"
}
`
