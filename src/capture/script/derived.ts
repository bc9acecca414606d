/**
 * Items the script stores as derived records rather than copies: `@stat` lines, CPUID `@leaves`,
 * `@links` of a process, and the QEMU process walk (the live side: walk.ts, walk-processes.ts).
 */
import {sh} from './shell.js'

/** nr_stat, nr_cpuid, nr_links_named, nr_links_dir, nr_process and nr_processes. */
export const SCRIPT_DERIVED = sh`
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
`
