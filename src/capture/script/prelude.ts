/** The start of the capture script: locale, PATH, and the command line (-o -b -l -L -t -r -h). */
import {EXIT} from '../../lib/errors.js'
import {SERIAL_BEGIN, SERIAL_END} from './archive.js'
import {sh} from './shell.js'

/** Option parsing and set-up; expects NR_VERSION, NR_DEFAULT_TIMEOUT and NR_DEFAULT_MAX set before it. */
export const SCRIPT_PRELUDE = sh`
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
`
