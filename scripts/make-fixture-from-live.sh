#!/usr/bin/env bash
# Make a small capture directory (layout: src/capture/types.ts) from THIS machine's real files and
# command outputs, for use as a parser test fixture. It covers the spec items the parsers read and
# records every absent item in the manifest with its real status, so a fixture says what the
# machine said, including what it did not have. Large logs are capped (tail kept) to stay small.
#
#   scripts/make-fixture-from-live.sh test/fixtures/sysroots/pvm-l1
#
# Refuses to write into an existing directory (fixtures are never overwritten silently). The fixture's
# README.md (what the machine is, what it should show) is written by hand afterwards.
set -u

out=${1:?usage: $0 OUTDIR}
if [ -e "$out" ]; then
  echo "$out exists; remove it first" >&2
  exit 1
fi
tmp="$out.tmp.$$"
mkdir -p "$tmp/root" "$tmp/commands"
entries="$tmp/.entries"
: >"$entries"
started=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cap=65536

json_str() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' -- "$1"; }

# entry KIND ID GROUP STATUS [STORED] [REASON] [EXIT] [ARGV_JSON]
entry() {
  local kind=$1 id=$2 group=$3 status=$4 stored=${5:-} reason=${6:-} exit=${7:-} argv=${8:-}
  local line="{\"kind\":\"$kind\",\"id\":$(json_str "$id"),\"group\":\"$group\",\"status\":\"$status\",\"durationMs\":0"
  [ -n "$argv" ] && line="$line,\"argv\":$argv"
  [ -n "$exit" ] && line="$line,\"exitCode\":$exit"
  if [ -n "$stored" ]; then
    line="$line,\"stored\":$(json_str "$stored"),\"bytes\":$(stat -c %s "$tmp/$stored")"
  fi
  [ -n "$reason" ] && line="$line,\"reason\":$(json_str "$reason")"
  echo "$line}" >>"$entries"
}

file() { # file PATH GROUP
  local path=$1 group=$2
  if [ ! -e "$path" ]; then
    entry file "$path" "$group" missing
    return
  fi
  mkdir -p "$tmp/root$(dirname "$path")"
  if tail -c "$cap" "$path" >"$tmp/root$path" 2>/dev/null; then
    entry file "$path" "$group" ok "root$path"
  else
    rm -f "$tmp/root$path"
    entry file "$path" "$group" permission-denied
  fi
}

glob() { # glob PATTERN GROUP
  local pattern=$1 group=$2 matched=0 p
  for p in $pattern; do
    [ -e "$p" ] || continue
    matched=1
    file "$p" "$group"
  done
  [ $matched = 1 ] || entry file "$pattern" "$group" missing "" "no match"
}

command_out() { # command_out ID GROUP ARGV...
  local id=$1 group=$2
  shift 2
  local argv
  argv=$(node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' -- "$@")
  if ! command -v "$1" >/dev/null 2>&1; then
    entry command "$id" "$group" missing "" "not installed" 127 "$argv"
    return
  fi
  "$@" >"$tmp/commands/$id.out" 2>"$tmp/commands/$id.err"
  local rc=$?
  [ -s "$tmp/commands/$id.err" ] || rm -f "$tmp/commands/$id.err"
  if [ "$(stat -c %s "$tmp/commands/$id.out")" -gt $cap ]; then
    tail -c $cap "$tmp/commands/$id.out" >"$tmp/commands/$id.out.t" && mv "$tmp/commands/$id.out.t" "$tmp/commands/$id.out"
  fi
  if [ $rc = 0 ]; then
    entry command "$id" "$group" ok "commands/$id.out" "" 0 "$argv"
  else
    entry command "$id" "$group" failed "commands/$id.out" "" $rc "$argv"
  fi
}

stat_record() { # stat_record PATH GROUP
  local path=$1 group=$2
  if [ ! -e "$path" ]; then
    entry stat "$path" "$group" missing
    return
  fi
  local type mode uid gid maj min rdev r=no w=no
  read -r type mode uid gid maj min < <(stat -c '%F %a %u %g %t %T' "$path" | sed 's/character special file/char/; s/block special file/block/; s/regular file/file/; s/regular empty file/file/; s/directory/dir/')
  rdev=""
  case $type in char | block) rdev=" rdev=$((16#$maj)):$((16#$min))" ;; esac
  [ -r "$path" ] && r=yes
  [ -w "$path" ] && w=yes
  mkdir -p "$tmp/root$(dirname "$path")"
  printf 'type=%s mode=%04o uid=%s gid=%s%s readable=%s writable=%s\n' "$type" "0$mode" "$uid" "$gid" "$rdev" $r $w >"$tmp/root$path@stat"
  entry stat "$path" "$group" ok "root$path@stat"
}

cpuid_leaves() { # cpuid_leaves PATH GROUP: the leaves of CPUID_LEAVES in src/capture/spec.ts
  local path=$1 group=$2
  mkdir -p "$tmp/root$(dirname "$path")"
  if node -e '
    const fs = require("fs")
    const leaves = [0x0, 0x1, 0x7, 0x40000000, 0x40000001, 0x40000100, 0x80000000, 0x80000001, 0x8000000a]
    const fd = fs.openSync(process.argv[1], "r")
    const hex = (x) => "0x" + (x >>> 0).toString(16).padStart(8, "0")
    let out = ""
    for (const leaf of leaves) {
      const b = Buffer.alloc(16)
      fs.readSync(fd, b, 0, 16, leaf)
      out += [leaf, 0, b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)].map(hex).join(" ") + "\n"
    }
    process.stdout.write(out)
  ' "$path" >"$tmp/root$path@leaves" 2>/dev/null; then
    entry cpuid "$path" "$group" ok "root$path@leaves"
  else
    rm -f "$tmp/root$path@leaves"
    entry cpuid "$path" "$group" permission-denied "" "cpuid driver not readable"
  fi
}

# --- cpu
file /proc/cpuinfo cpu
command_out lscpu cpu lscpu
cpuid_leaves /dev/cpu/0/cpuid cpu
command_out cpuid cpu cpuid -1 -r
command_out x86info cpu x86info -a
file /proc/sysinfo cpu
glob '/sys/devices/system/cpu/vulnerabilities/*' cpu
# --- kernel
for p in /proc/version /proc/sys/kernel/osrelease /proc/sys/kernel/hostname /proc/cmdline /proc/sys/kernel/tainted \
  /proc/sys/kernel/dmesg_restrict /etc/os-release /usr/lib/os-release; do file "$p" kernel; done
command_out uname kernel uname -a
# --- kvm
stat_record /dev/kvm kvm
file /proc/modules kvm
glob '/sys/module/kvm*/parameters/*' kvm
glob '/sys/module/kvm*/initstate' kvm
glob '/sys/module/kvm*/version' kvm
glob '/sys/module/kvm*/srcversion' kvm
glob '/etc/modprobe.d/*' kvm
glob '/usr/lib/modprobe.d/*' kvm
glob '/run/modprobe.d/*' kvm
# --- virt
glob '/sys/class/dmi/id/*' virt
command_out dmidecode virt dmidecode
for p in /sys/devices/system/clocksource/clocksource0/available_clocksource \
  /sys/devices/system/clocksource/clocksource0/current_clocksource /sys/hypervisor/type /proc/xen/capabilities \
  /proc/device-tree/hypervisor/compatible /.dockerenv /run/.containerenv /run/systemd/container /proc/1/cgroup; do
  file "$p" virt
done
command_out systemd-detect-virt-vm virt systemd-detect-virt --vm
command_out systemd-detect-virt-container virt systemd-detect-virt --container
command_out virt-what virt virt-what
# --- qemu: `--version` of each installed emulator, one command per real file (kvm -> qemu-system-x86_64
# keeps the name it was found under first), ids as the capture walker names them
seen_real=" "
found=0
for bin in /usr/bin/qemu-system-* /usr/bin/kvm /usr/bin/qemu-kvm /usr/libexec/qemu-kvm /usr/local/bin/qemu-system-*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  real=$(realpath "$bin")
  case $seen_real in *" $real "*) continue ;; esac
  seen_real="$seen_real$real "
  found=1
  command_out "qemu-version-$(basename "$bin")" qemu "$bin" --version
done
[ $found = 1 ] || entry command qemu-version qemu missing "" "not installed"
# Running QEMU processes: cmdline, comm, exe link, fd links, thread names.
for d in /proc/[0-9]*; do
  exe=$(readlink "$d/exe" 2>/dev/null) || continue
  case $(basename "$exe") in qemu-system-* | qemu-kvm | kvm) ;; *) continue ;; esac
  pid=${d#/proc/}
  for f in cmdline comm status; do file "$d/$f" qemu; done
  mkdir -p "$tmp/root$d/fd"
  printf 'exe -> %s\n' "$exe" >"$tmp/root$d@links" && entry links "$d" qemu ok "root$d@links"
  for fd in $(ls "$d/fd" | sort -n); do printf '%s -> %s\n' "$fd" "$(readlink "$d/fd/$fd")"; done >"$tmp/root$d/fd@links"
  entry links "$d/fd" qemu ok "root$d/fd@links"
  for t in "$d"/task/*; do file "$t/comm" qemu; done
done
# --- libvirt
command_out libvirtd-version libvirt libvirtd --version
command_out virsh-version libvirt virsh --version
glob '/var/log/libvirt/qemu/*.log' libvirt
glob '/etc/libvirt/qemu/*.xml' libvirt
# --- kernel log
command_out dmesg kernel-log dmesg
entry command journal-kernel kernel-log skipped "" "fallback not needed: dmesg succeeded" "" \
  '["journalctl","-k","-b","0","--no-pager","-o","short-monotonic"]'
command_out journal-kernel-previous kernel-log journalctl -k -b -1 --no-pager -o short-monotonic
file /var/log/kern.log kernel-log
file /var/log/messages kernel-log

finished=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
node -e '
  const fs = require("fs")
  const [entriesFile, started, finished, hostname, arch, uid] = process.argv.slice(1)
  const entries = fs.readFileSync(entriesFile, "utf8").trim().split("\n").map((l) => JSON.parse(l))
  const manifest = {
    format: "nestreport-capture", formatVersion: 1,
    producer: {name: "make-fixture-from-live.sh", version: "1"},
    source: "live", startedAt: started, finishedAt: finished, hostname, arch,
    user: {uid: Number(uid), root: Number(uid) === 0}, timeoutSeconds: 10, entries,
  }
  process.stdout.write(JSON.stringify(manifest, null, 2) + "\n")
' "$entries" "$started" "$finished" "$(hostname)" "$(uname -m)" "$(id -u)" >"$tmp/manifest.json"
rm -f "$entries"
mv "$tmp" "$out"
echo "wrote $out ($(du -sh "$out" | cut -f1))"
