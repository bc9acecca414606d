/**
 * How the script records what it captured: the clock, JSON strings, one manifest entry per item,
 * and the plain items, files and glob matches (the live side: walk-context.ts captureFile, walk.ts).
 */
import {sh} from './shell.js'

/** Clock, JSON strings, manifest entries, size caps, and nr_file / nr_glob_file / nr_glob_capped. */
export const SCRIPT_ENTRIES = sh`
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
`
