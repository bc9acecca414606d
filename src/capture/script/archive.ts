/** The script's frame around the items: naming and staging the capture, then the manifest and archive. */
import {EXIT} from '../../lib/errors.js'
import {sh} from './shell.js'

/** The lines that frame a base64 capture on a serial console (serial.ts looks for them). */
export const SERIAL_BEGIN = '--- nestreport capture begin ---'
export const SERIAL_END = '--- nestreport capture end ---'

/** Host facts, the staging directory, and the name of the capture. Runs before the items. */
export const SCRIPT_SETUP = sh`
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
`

/** The manifest, the archive, and where it goes. Runs after the items. */
export const SCRIPT_FINISH = sh`
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
`
