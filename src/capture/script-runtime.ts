/**
 * The fixed part of the POSIX capture script: option parsing, the helpers that capture one item
 * kind each, the manifest writer and the archive step. script.ts renders the per-item calls from
 * CAPTURE_SPEC after it. The rules mirror the live walker (walk-context.ts, walk.ts,
 * walk-processes.ts): same statuses, reasons, stored names and derived-record formats, so a script
 * capture and a live capture parse to the same model.
 *
 * Written for dash and busybox ash: no arrays, no `local`, no `[[`, no `$'...'`, no process
 * substitution; external tools limited to what busybox and coreutils both have (cat, tail, wc,
 * od, dd, tr, sort, stat or ls, readlink, tar, gzip, base64 or uuencode). Every variable is
 * prefixed nr_ because functions share one namespace.
 *
 * Source form: String.raw keeps shell backslashes as they are; a shell `${` is written `\${` here
 * and restored by shellText().
 */
import {EXIT} from '../lib/errors.js'

/** The lines that frame a base64 capture on a serial console (serial.ts looks for them). */
export const SERIAL_BEGIN = '--- nestreport capture begin ---'
export const SERIAL_END = '--- nestreport capture end ---'

function shellText(raw: string): string {
  return raw.replaceAll('\\${', '${')
}

/** Option parsing and set-up; expects NR_VERSION, NR_DEFAULT_TIMEOUT and NR_DEFAULT_MAX set before it. */
export const SCRIPT_PRELUDE = shellText(String.raw`
LC_ALL=C
LANG=C
export LC_ALL LANG
PATH=\${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
export PATH

nr_usage() {
	cat <<'NR_USAGE'
Usage: sh capture.sh [-o DIR|-] [-b] [-l L0|L1|L2] [-L LABEL] [-t SECONDS] [-r ROOTDIR]

Captures what 'nestreport collect' captures (raw files and command outputs) on a machine
without Node, into DIR/nestreport-<level>-<host>-<UTC>.tar.gz. Read it with
'nestreport report' or 'nestreport collect --sysroot'.

  -o DIR     write the archive into DIR (default: the current directory)
  -o -       write the archive (.tar.gz) to standard output
  -b         write the archive to standard output, base64-encoded between the lines
             '${SERIAL_BEGIN}' and '${SERIAL_END}'
             (for a serial console; decode with 'nestreport capture-script --decode LOG')
  -l LEVEL   the level this machine is (L0, L1 or L2), kept beside the detected one
  -L LABEL   a free-text label stored in the manifest
  -t SECONDS timeout for each command (default: \${NR_DEFAULT_TIMEOUT})
  -r ROOTDIR read files below ROOTDIR instead of / (commands still run here)
  -h         this help
Run it as root for a complete capture.
NR_USAGE
}

nr_die() {
	printf 'nestreport-capture: %s\n' "$1" >&2
	exit "$2"
}

nr_out=.
nr_out_given=0
nr_b64=0
nr_level=
nr_label=
nr_label_given=0
nr_timeout=$NR_DEFAULT_TIMEOUT
NR_ROOT=
while getopts 'o:bl:L:t:r:h' nr_opt; do
	case $nr_opt in
	o) nr_out=$OPTARG; nr_out_given=1 ;;
	b) nr_b64=1 ;;
	l)
		case $OPTARG in
		L0 | L1 | L2) nr_level=$OPTARG ;;
		*) nr_die "-l takes L0, L1 or L2, not '$OPTARG'" ${EXIT.usage} ;;
		esac
		;;
	L) nr_label=$OPTARG; nr_label_given=1 ;;
	t)
		# Leading zeros off: the value goes into JSON, and sh arithmetic would read it as octal.
		nr_timeout=\${OPTARG#"\${OPTARG%%[!0]*}"}
		case $nr_timeout in
		'' | *[!0-9]*) nr_die "-t takes a whole number of seconds above 0, not '$OPTARG'" ${EXIT.usage} ;;
		esac
		;;
	r) NR_ROOT=\${OPTARG%/} ;;
	h) nr_usage; exit 0 ;;
	*) nr_usage >&2; exit ${EXIT.usage} ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || nr_die "unexpected argument '$1' (see -h)" ${EXIT.usage}
if [ "$nr_b64" = 1 ]; then
	[ "$nr_out_given" = 0 ] || [ "$nr_out" = - ] || nr_die '-b writes to standard output; drop -o DIR' ${EXIT.usage}
	nr_out=-
fi
if [ -n "$NR_ROOT" ] && [ ! -d "$NR_ROOT" ]; then
	nr_die "-r: $NR_ROOT is not a directory" ${EXIT.inputMissing}
fi
umask 077
`)

/** Helpers: clock, JSON strings, manifest entries, and one capture function per item kind. */
export const SCRIPT_HELPERS = shellText(String.raw`
# Milliseconds since boot from /proc/uptime (centiseconds), else wall-clock seconds.
nr_clock() {
	nr_ms=
	if [ -r /proc/uptime ] && IFS=' .' read -r nr_up_s nr_up_cs _ </proc/uptime; then
		case $nr_up_s$nr_up_cs in
		'' | *[!0-9]*) ;;
		*) nr_up_cs=\${nr_up_cs#0}; nr_ms=$((nr_up_s * 1000 + \${nr_up_cs:-0} * 10)) ;;
		esac
	fi
	[ -n "$nr_ms" ] || nr_ms=$(($(date +%s) * 1000))
}

nr_start() {
	nr_clock
	nr_t0=$nr_ms
	nr_fields=
}

nr_elapsed() {
	nr_clock
	nr_dur=$((nr_ms - nr_t0))
}

# Characters that need escaping in a JSON string: controls, DEL, quote, backslash.
nr_ctl=$(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177\042\134')

# nr_json STRING: nr_j becomes STRING as a JSON string literal.
nr_json() {
	case $1 in
	*["$nr_ctl"]*) nr_j=\"$(nr_json_escape "$1")\" ;;
	*) nr_j=\"$1\" ;;
	esac
}

# Slow path, byte by byte; only strings that need it come here.
# shellcheck disable=SC2059 # printf formats built from od's octal output, on purpose
nr_json_escape() {
	printf '%s' "$1" | od -An -v -to1 | while read -r nr_line; do
		for nr_oct in $nr_line; do
			case $nr_oct in
			042) printf '\134\042' ;;
			134) printf '\134\134' ;;
			0[0-3][0-7] | 177) printf '\134u%04x' $((0$nr_oct)) ;;
			*) printf "\\$nr_oct" ;;
			esac
		done
	done
}

# Extra members of the current entry: nr_field NAME STRING, nr_fieldn NAME JSON-VALUE.
nr_field() {
	nr_json "$2"
	nr_fields="$nr_fields, \"$1\": $nr_j"
}

nr_fieldn() {
	nr_fields="$nr_fields, \"$1\": $2"
}

# nr_entry KIND ID GROUP STATUS DURATION_MS: appends one manifest entry (with nr_fields).
nr_entry() {
	nr_json "$2"
	nr_e_id=$nr_j
	nr_json "$3"
	printf '{"kind": "%s", "id": %s, "group": %s, "status": "%s", "durationMs": %s%s}\n' \
		"$1" "$nr_e_id" "$nr_j" "$4" "$5" "$nr_fields" >>"$nr_entries"
}

nr_size() {
	nr_bytes=$(wc -c <"$1")
	nr_bytes=$((nr_bytes + 0))
}

# Keeps the last MAX bytes of FILE; sets nr_truncated.
nr_cap_file() {
	nr_truncated=0
	nr_size "$1"
	if [ "$nr_bytes" -gt "$2" ]; then
		tail -c "$2" "$1" >"$1.tail" && mv -f "$1.tail" "$1"
		nr_truncated=1
		nr_size "$1"
	fi
}

nr_mkparent() {
	nr_parent=\${1%/*}
	if [ "$nr_parent" != "$nr_last_parent" ]; then
		mkdir -p "$nr_parent"
		nr_last_parent=$nr_parent
	fi
}

# First non-blank line of FILE, trimmed, into nr_err.
nr_first_line() {
	nr_err=
	while IFS= read -r nr_l || [ -n "$nr_l" ]; do
		case $nr_l in
		*[!\ \	]*)
			nr_err=$nr_l
			break
			;;
		esac
	done <"$1"
	nr_err=\${nr_err#"\${nr_err%%[!\ \	]*}"}
	nr_err=\${nr_err%"\${nr_err##*[!\ \	]}"}
}

# An errno text from a failed read (cat's "cat: PATH: reason") as the live walker reports it.
nr_fs_failure() {
	nr_first_line "$1"
	case $nr_err in
	*'No such file'* | *'Not a directory'*) nr_status=missing ;;
	*'ermission denied'* | *'peration not permitted'*)
		nr_status=permission-denied
		nr_field reason 'permission denied (run as root for a complete report)'
		;;
	*)
		nr_status=failed
		nr_field reason "\${nr_err##*: }"
		;;
	esac
}

# nr_file PATH GROUP MAXBYTES: one file, stored as root/PATH (its last MAXBYTES).
nr_file() {
	nr_start
	nr_src=$NR_ROOT$1
	nr_dst=$nr_cap/root$1
	nr_bytes=0
	if [ ! -e "$nr_src" ]; then
		nr_status=missing
	elif case $1 in *\\*) true ;; *) false ;; esac; then
		# Bundle readers refuse entry names with a backslash (a Windows path trick): keep the
		# archive readable and say why the file is not in it.
		nr_status=skipped
		nr_field reason 'a backslash in the file name: not stored (bundle readers refuse such names)'
	elif [ -d "$nr_src" ]; then
		nr_status=failed
		nr_field reason 'is a directory'
	else
		nr_mkparent "$nr_dst"
		if cat "$nr_src" >"$nr_dst" 2>"$nr_errf"; then
			nr_status=ok
			nr_cap_file "$nr_dst" "$3"
		else
			rm -f "$nr_dst"
			nr_bytes=0
			nr_fs_failure "$nr_errf"
		fi
	fi
	nr_elapsed
	nr_fieldn bytes "$nr_bytes"
	if [ "$nr_status" = ok ]; then
		nr_field stored "root$1"
		[ "$nr_truncated" = 0 ] || nr_fieldn truncated true
	fi
	nr_entry file "$1" "$2" "$nr_status" "$nr_dur"
}

# nr_glob_file MATCH GROUP MAXBYTES: a glob match (with the -r prefix) if it is a regular file.
# Sets nr_glob_hit when it counted toward the cap.
nr_glob_file() {
	nr_glob_hit=0
	[ -f "$1" ] || return 0
	nr_glob_hit=1
	nr_file "\${1#"$NR_ROOT"}" "$2" "$3"
}

# Records the files a glob matched beyond its cap.
nr_glob_capped() {
	[ "$1" -gt 0 ] || return 0
	nr_start
	nr_fieldn bytes 0
	nr_field reason "$1 more files matching $2 not captured (cap of $4)"
	nr_entry file "$2" "$3" skipped 0
}

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

# Writes a derived record (@stat, @links, @leaves) from nr_record_tmp to root/RECORD.
nr_store_derived() { # KIND ID GROUP RECORD
	nr_dst=$nr_cap/root$4
	nr_mkparent "$nr_dst"
	mv -f "$nr_record_tmp" "$nr_dst"
	nr_size "$nr_dst"
	nr_elapsed
	nr_fieldn bytes "$nr_bytes"
	nr_field stored "root$4"
	nr_entry "$1" "$2" "$3" ok "$nr_dur"
}

nr_fs_entry() { # KIND ID GROUP STATUS [REASON]
	nr_elapsed
	nr_fieldn bytes 0
	[ -z "\${5-}" ] || nr_field reason "$5"
	nr_entry "$1" "$2" "$3" "$4" "$nr_dur"
}

# ls -l permission string (-rwsr-x--T) to octal permission bits, into nr_mode_bits.
nr_perm_bits() {
	nr_p=\${1#?}
	nr_mode_bits=0
	nr_i=0
	while [ "$nr_i" -lt 9 ]; do
		nr_c=\${nr_p%"\${nr_p#?}"}
		nr_p=\${nr_p#?}
		nr_bit=$((1 << (8 - nr_i)))
		nr_special=$((01000 << ((8 - nr_i) / 3)))
		case $nr_c in
		r | w | x) nr_mode_bits=$((nr_mode_bits | nr_bit)) ;;
		s | t) nr_mode_bits=$((nr_mode_bits | nr_bit | nr_special)) ;;
		S | T) nr_mode_bits=$((nr_mode_bits | nr_special)) ;;
		esac
		nr_i=$((nr_i + 1))
	done
}

if stat -L -c '%f' / >/dev/null 2>&1; then nr_have_stat=1; else nr_have_stat=0; fi

# stat() of PATH (symlinks followed) as a formatStatRecord line, into nr_record_tmp.
nr_stat_record() {
	nr_rdev=
	if [ "$nr_have_stat" = 1 ]; then
		nr_line=$(stat -L -c '%f %u %g %t %T' "$1" 2>/dev/null) || return 1
		# shellcheck disable=SC2086 # split the five fields
		set -- $nr_line "$1"
		nr_fmt=$((0x$1))
		nr_mode_bits=$((nr_fmt & 07777))
		nr_uid_of=$2
		nr_gid_of=$3
		nr_major=$((0x$4))
		nr_minor=$((0x$5))
		nr_path=$6
		case $((nr_fmt & 0170000)) in
		$((0100000))) nr_type='file' ;;
		$((040000))) nr_type=dir ;;
		$((020000))) nr_type=char ;;
		$((060000))) nr_type=block ;;
		*) nr_type=other ;;
		esac
	else
		nr_line=$(ls -lnLd "$1" 2>/dev/null) || return 1
		nr_path=$1
		# shellcheck disable=SC2086 # split the ls fields
		set -- $nr_line
		nr_perm_bits "$1"
		nr_uid_of=$3
		nr_gid_of=$4
		nr_major=\${5%,}
		nr_minor=$6
		case $1 in
		-*) nr_type='file' ;;
		d*) nr_type=dir ;;
		c*) nr_type=char ;;
		b*) nr_type=block ;;
		*) nr_type=other ;;
		esac
	fi
	case $nr_type in
	char | block) nr_rdev=" rdev=$nr_major:$nr_minor" ;;
	esac
	if [ -r "$nr_path" ]; then nr_can_read=yes; else nr_can_read=no; fi
	if [ -w "$nr_path" ]; then nr_can_write=yes; else nr_can_write=no; fi
	printf 'type=%s mode=0%03o uid=%s gid=%s%s readable=%s writable=%s\n' \
		"$nr_type" "$nr_mode_bits" "$nr_uid_of" "$nr_gid_of" "$nr_rdev" "$nr_can_read" "$nr_can_write" >"$nr_record_tmp"
}

# nr_stat PATH GROUP: root/PATH@stat.
nr_stat() {
	nr_start
	if [ ! -e "$NR_ROOT$1" ]; then
		nr_fs_entry stat "$1" "$2" missing
	elif nr_stat_record "$NR_ROOT$1"; then
		nr_store_derived stat "$1" "$2" "$1@stat"
	else
		nr_fs_entry stat "$1" "$2" failed 'stat failed'
	fi
}

# nr_cpuid PATH GROUP "LEAF:SUBLEAF ...": raw CPUID leaves through the cpuid driver, whose file
# offset is the CPUID input (low 32 bits leaf, high 32 bits subleaf); reads must be 16 bytes.
nr_cpuid() {
	nr_cpuid_path=$1
	nr_cpuid_group=$2
	nr_cpuid_leaves=$3
	nr_start
	nr_dev=$NR_ROOT$nr_cpuid_path
	if [ ! -e "$nr_dev" ]; then
		nr_fs_entry cpuid "$nr_cpuid_path" "$nr_cpuid_group" missing "$nr_cpuid_path absent: no x86 cpuid driver (CONFIG_X86_CPUID off or the cpuid module not loaded, or not x86)"
		return 0
	fi
	if [ ! -r "$nr_dev" ]; then
		nr_fs_entry cpuid "$nr_cpuid_path" "$nr_cpuid_group" permission-denied "$nr_cpuid_path needs root"
		return 0
	fi
	: >"$nr_record_tmp"
	for nr_leaf_spec in $nr_cpuid_leaves; do
		nr_leaf=\${nr_leaf_spec%:*}
		nr_subleaf=\${nr_leaf_spec#*:}
		nr_words=$({
			dd bs=1 skip=$((nr_leaf + nr_subleaf * 4294967296)) count=0 2>/dev/null
			dd bs=16 count=1 2>/dev/null
		} <"$nr_dev" | od -An -v -tx4)
		# shellcheck disable=SC2086 # four words
		set -- $nr_words
		[ $# -eq 4 ] || continue
		printf '0x%08x 0x%08x 0x%s 0x%s 0x%s 0x%s\n' "$nr_leaf" "$nr_subleaf" "$1" "$2" "$3" "$4" >>"$nr_record_tmp"
	done
	if [ -s "$nr_record_tmp" ]; then
		nr_store_derived cpuid "$nr_cpuid_path" "$nr_cpuid_group" "$nr_cpuid_path@leaves"
	else
		nr_fs_entry cpuid "$nr_cpuid_path" "$nr_cpuid_group" failed "no CPUID leaf readable through $nr_cpuid_path: short reads"
	fi
}

if command -v sort >/dev/null 2>&1; then nr_have_sort=1; else nr_have_sort=0; fi

# Numeric sort of lines on stdin (fd and pid order), or as they come without sort(1).
nr_sort_n() {
	if [ "$nr_have_sort" = 1 ]; then sort -n; else cat; fi
}

if command -v readlink >/dev/null 2>&1; then nr_have_readlink=1; else nr_have_readlink=0; fi

# Target of a symlink on stdout, fails when unreadable.
nr_readlink() {
	if [ "$nr_have_readlink" = 1 ]; then
		readlink "$1" 2>/dev/null
	else
		nr_ls=$(ls -ld "$1" 2>/dev/null) || return 1
		case $nr_ls in
		*' -> '*) printf '%s\n' "\${nr_ls#* -> }" ;;
		*) return 1 ;;
		esac
	fi
}

# nr_links_named DIR GROUP NAME...: "name -> target" lines for named links, as root/DIR@links.
nr_links_named() {
	nr_ldir=$1
	nr_lgroup=$2
	shift 2
	nr_start
	: >"$nr_record_tmp"
	for nr_lname; do
		if nr_target=$(nr_readlink "$NR_ROOT$nr_ldir/$nr_lname"); then
			printf '%s -> %s\n' "$nr_lname" "$nr_target" >>"$nr_record_tmp"
		fi
	done
	if [ -s "$nr_record_tmp" ]; then
		nr_store_derived links "$nr_ldir" "$nr_lgroup" "$nr_ldir@links"
	elif [ -e "$NR_ROOT$nr_ldir" ]; then
		nr_fs_entry links "$nr_ldir" "$nr_lgroup" permission-denied 'permission denied (run as root for a complete report)'
	else
		nr_fs_entry links "$nr_ldir" "$nr_lgroup" missing
	fi
}

# nr_links_dir DIR GROUP: every symlink in DIR (a process's fd/), sorted numerically.
nr_links_dir() {
	nr_start
	nr_lsrc=$NR_ROOT$1
	if [ ! -e "$nr_lsrc" ]; then
		nr_fs_entry links "$1" "$2" missing
		return 0
	fi
	if [ ! -r "$nr_lsrc" ] || [ ! -x "$nr_lsrc" ]; then
		nr_fs_entry links "$1" "$2" permission-denied 'permission denied (run as root for a complete report)'
		return 0
	fi
	for nr_link in "$nr_lsrc"/*; do
		[ -e "$nr_link" ] || [ -L "$nr_link" ] || continue
		if nr_target=$(nr_readlink "$nr_link"); then
			printf '%s -> %s\n' "\${nr_link##*/}" "$nr_target"
		fi
	done | nr_sort_n >"$nr_record_tmp"
	nr_store_derived links "$1" "$2" "$1@links"
}

# nr_process PID GROUP: what the parser needs of one QEMU process.
nr_process() {
	nr_pdir=/proc/$1
	nr_pgroup=$2
	nr_file "$nr_pdir/cmdline" "$nr_pgroup" "$NR_DEFAULT_MAX"
	nr_file "$nr_pdir/comm" "$nr_pgroup" "$NR_DEFAULT_MAX"
	nr_file "$nr_pdir/status" "$nr_pgroup" "$NR_DEFAULT_MAX"
	nr_links_named "$nr_pdir" "$nr_pgroup" exe
	nr_links_dir "$nr_pdir/fd" "$nr_pgroup"
	if [ ! -r "$NR_ROOT$nr_pdir/task" ]; then
		nr_start
		if [ -e "$NR_ROOT$nr_pdir/task" ]; then
			nr_fs_entry file "$nr_pdir/task" "$nr_pgroup" permission-denied 'permission denied (run as root for a complete report)'
		else
			nr_fs_entry file "$nr_pdir/task" "$nr_pgroup" missing
		fi
		return 0
	fi
	nr_tids=$(for nr_task in "$NR_ROOT$nr_pdir"/task/*; do
		[ -d "$nr_task" ] && printf '%s\n' "\${nr_task##*/}"
	done | nr_sort_n)
	for nr_tid in $nr_tids; do
		nr_file "$nr_pdir/task/$nr_tid/comm" "$nr_pgroup" "$NR_DEFAULT_MAX"
	done
}

# The executable of a process: its exe link, or argv[0] when the link is unreadable (other users'
# processes when not root). Empty for kernel threads and vanished processes.
nr_process_exe() {
	if nr_exe=$(nr_readlink "$1/exe"); then
		return 0
	fi
	nr_exe=
	# As root an unreadable exe means a kernel thread or a process that just exited.
	[ "$nr_uid" != 0 ] || return 0
	[ -r "$1/cmdline" ] || return 0
	nr_exe=$(tr '\000' '\n' <"$1/cmdline" 2>/dev/null | head -n 1)
}

# nr_processes GROUP MAX GLOB...: every process whose executable's basename matches a GLOB.
nr_processes() {
	nr_pgroup_all=$1
	nr_pmax=$2
	shift 2
	nr_pids=
	for nr_pd in "$NR_ROOT"/proc/[0-9]*; do
		nr_pid=\${nr_pd##*/}
		case $nr_pid in '' | *[!0-9]*) continue ;; esac
		nr_process_exe "$nr_pd"
		[ -n "$nr_exe" ] || continue
		nr_base=\${nr_exe% (deleted)}
		nr_base=\${nr_base##*/}
		for nr_glob; do
			# shellcheck disable=SC2254 # the glob is a pattern on purpose
			case $nr_base in
			$nr_glob)
				nr_pids="$nr_pids $nr_pid"
				break
				;;
			esac
		done
	done
	nr_pcount=0
	nr_pmore=0
	# shellcheck disable=SC2086 # one pid per word
	for nr_pid in $(printf '%s\n' $nr_pids | nr_sort_n); do
		if [ "$nr_pcount" -ge "$nr_pmax" ]; then
			nr_pmore=$((nr_pmore + 1))
			continue
		fi
		nr_pcount=$((nr_pcount + 1))
		nr_process "$nr_pid" "$nr_pgroup_all"
	done
	if [ "$nr_pmore" -gt 0 ]; then
		nr_start
		nr_fieldn bytes 0
		nr_field reason "$nr_pmore more QEMU processes not captured (cap of $nr_pmax)"
		nr_entry file /proc "$nr_pgroup_all" skipped 0
	fi
}

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
`)

/** Host facts, the staging directory, and the name of the capture. Runs before the items. */
export const SCRIPT_SETUP = shellText(String.raw`
nr_utc() {
	date -u +%Y-%m-%dT%H:%M:%SZ
}

nr_started=$(nr_utc)
nr_stamp=$(date -u +%Y%m%dT%H%M%SZ)
nr_uid=$(id -u 2>/dev/null)
if [ -z "$nr_uid" ]; then
	while read -r nr_k nr_v _; do
		[ "$nr_k" != Uid: ] || nr_uid=$nr_v
	done </proc/self/status
fi
case $nr_uid in '' | *[!0-9]*) nr_uid=-1 ;; esac
nr_host=
if [ -n "$NR_ROOT" ] && [ -r "$NR_ROOT/proc/sys/kernel/hostname" ]; then
	IFS= read -r nr_host <"$NR_ROOT/proc/sys/kernel/hostname"
fi
[ -n "$nr_host" ] || nr_host=$(uname -n 2>/dev/null)
[ -n "$nr_host" ] || nr_host=unknown
nr_arch=$(uname -m 2>/dev/null)
# The host name part of the file name, as collect makes it: unsafe bytes to _, no leading dot
# or dash, at most 64 characters.
nr_host_safe=$(printf '%s' "$nr_host" | tr -c 'A-Za-z0-9._-' '_')
while :; do
	case $nr_host_safe in [.-]*) nr_host_safe=\${nr_host_safe#?} ;; *) break ;; esac
done
nr_host_safe=$(printf '%.64s' "$nr_host_safe")
[ -n "$nr_host_safe" ] || nr_host_safe=unknown
nr_name=nestreport-\${nr_level:-Lx}-$nr_host_safe-$nr_stamp

if [ "$nr_out" = - ]; then
	nr_stage=$(mktemp -d "\${TMPDIR:-/tmp}/nestreport-capture.XXXXXX" 2>/dev/null) || {
		nr_stage=\${TMPDIR:-/tmp}/nestreport-capture.$$
		mkdir "$nr_stage" || nr_die "cannot create a staging directory in \${TMPDIR:-/tmp}" ${EXIT.outputNotWritable}
	}
else
	nr_final=$nr_out/$nr_name.tar.gz
	[ -d "$nr_out" ] || mkdir -p "$nr_out" || nr_die "cannot create $nr_out" ${EXIT.outputNotWritable}
	[ ! -e "$nr_final" ] || nr_die "$nr_final exists; not overwriting it" ${EXIT.outputExists}
	nr_stage=$nr_out/.$nr_name.partial.$$
	mkdir "$nr_stage" 2>/dev/null || nr_die "cannot write into $nr_out" ${EXIT.outputNotWritable}
fi
trap 'rm -rf "$nr_stage"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
nr_cap=$nr_stage/$nr_name
nr_work=$nr_stage/work
mkdir "$nr_cap" "$nr_cap/root" "$nr_cap/commands" "$nr_work" || nr_die "cannot write into $nr_stage" ${EXIT.outputNotWritable}
nr_entries=$nr_work/entries
nr_errf=$nr_work/stderr
nr_record_tmp=$nr_work/record
nr_last_parent=
: >"$nr_entries"
`)

/** The manifest, the archive, and where it goes. Runs after the items. */
export const SCRIPT_FINISH = shellText(String.raw`
nr_finished=$(nr_utc)
{
	printf '{\n  "format": "%s",\n  "formatVersion": %s,\n' "$NR_FORMAT" "$NR_FORMAT_VERSION"
	nr_json "$NR_VERSION"
	printf '  "producer": {"name": "%s", "version": %s},\n  "source": "script",\n' "$NR_PRODUCER" "$nr_j"
	printf '  "startedAt": "%s",\n  "finishedAt": "%s",\n' "$nr_started" "$nr_finished"
	nr_json "$nr_host"
	printf '  "hostname": %s,\n' "$nr_j"
	nr_json "$nr_arch"
	printf '  "arch": %s,\n' "$nr_j"
	if [ "$nr_uid" = 0 ]; then nr_is_root=true; else nr_is_root=false; fi
	printf '  "user": {"uid": %s, "root": %s},\n' "$nr_uid" "$nr_is_root"
	if [ "$nr_label_given" = 1 ]; then
		nr_json "$nr_label"
		printf '  "label": %s,\n' "$nr_j"
	fi
	[ -z "$nr_level" ] || printf '  "levelOverride": "%s",\n' "$nr_level"
	printf '  "timeoutSeconds": %s,\n  "entries": [' "$nr_timeout"
	nr_sep=
	while IFS= read -r nr_l; do
		printf '%s\n    %s' "$nr_sep" "$nr_l"
		nr_sep=,
	done <"$nr_entries"
	printf '\n  ]\n}\n'
} >"$nr_cap/manifest.json" || nr_die "cannot write the manifest" ${EXIT.outputNotWritable}

nr_archive=$nr_stage/capture.tar.gz
(cd "$nr_stage" && tar cf - "$nr_name") | gzip -c >"$nr_archive" || nr_die 'tar or gzip failed' ${EXIT.outputNotWritable}
gzip -t "$nr_archive" 2>/dev/null || nr_die 'the archive did not verify (tar or gzip failed)' ${EXIT.outputNotWritable}

# base64 of stdin, wrapped, with whatever the system has.
nr_base64() {
	if command -v base64 >/dev/null 2>&1; then
		base64
	elif command -v uuencode >/dev/null 2>&1; then
		uuencode -m - | while IFS= read -r nr_l; do
			case $nr_l in 'begin-base64 '* | '====') ;; *) printf '%s\n' "$nr_l" ;; esac
		done
	elif command -v openssl >/dev/null 2>&1; then
		openssl base64
	else
		return 1
	fi
}

if [ "$nr_out" = - ]; then
	if [ "$nr_b64" = 1 ]; then
		printf '\n%s\n' '${SERIAL_BEGIN}'
		nr_base64 <"$nr_archive" || nr_die 'no base64, uuencode or openssl to encode with' ${EXIT.internal}
		printf '%s\n' '${SERIAL_END}'
	else
		cat "$nr_archive"
	fi
else
	# A hard link never replaces an existing file, so a concurrent run cannot be overwritten.
	ln "$nr_archive" "$nr_final" 2>/dev/null || {
		[ ! -e "$nr_final" ] || nr_die "$nr_final exists; not overwriting it" ${EXIT.outputExists}
		nr_die "cannot write $nr_final" ${EXIT.outputNotWritable}
	}
	printf '%s\n' "$nr_final"
fi
`)
