/**
 * What nestreport captures, as data. The live collector (Node) and the POSIX capture script
 * (generated from this list) both walk it, so a level without Node yields the same raw material.
 * Sources for the list: the kernel's running-nested-guests.rst "Reporting bugs from nested setups",
 * sos's kernel/processor/libvirt plugins (minus what has no nested value, e.g. /proc/kallsyms), and
 * ../shared/notes/virtualization-facts.md.
 */

export type SpecItem =
  | FileItem
  | GlobItem
  | CommandItem
  | StatItem
  | CpuidItem
  | ProcessScanItem
  | BinaryVersionsItem

interface ItemBase {
  /** The fact group this item serves; also the manifest entry's group. */
  group: string
  /** Why we collect it, shown to users who ask (`collect --explain` / docs). */
  why: string
}

/** One file at an absolute path. Oversize files keep their last maxBytes (logs: the end matters). */
export interface FileItem extends ItemBase {
  kind: 'file'
  path: string
  maxBytes?: number
}

/**
 * Files matching a pattern whose only wildcards are `*` inside single path components, e.g.
 * `/sys/module/kvm* /parameters/*` (without the space). Matches are captured as file items.
 */
export interface GlobItem extends ItemBase {
  kind: 'glob'
  pattern: string
  maxBytes?: number
  /** Cap on matched files, so a huge directory cannot flood the bundle. */
  maxFiles?: number
}

export interface CommandItem extends ItemBase {
  kind: 'command'
  /** File-name-safe id: output goes to commands/<id>.out and .err. */
  id: string
  argv: string[]
  /** Only useful as root (dmidecode, virt-what): skipped with reason "needs root" otherwise. */
  needsRoot?: boolean
  /** Run only when the named command produced no usable output (journalctl when dmesg is restricted). */
  fallbackFor?: string
  maxBytes?: number
}

/** stat() of a device node, stored as root/<path>@stat. */
export interface StatItem extends ItemBase {
  kind: 'stat'
  path: string
}

/** Raw CPUID leaves through the x86 cpuid driver, stored as root/dev/cpu/0/cpuid@leaves. */
export interface CpuidItem extends ItemBase {
  kind: 'cpuid'
  path: string
  /** [leaf, subleaf] pairs to read. */
  leaves: Array<[number, number]>
}

/**
 * Every running QEMU: for each /proc/PID whose exe basename matches, capture cmdline, comm,
 * status, the fd symlinks (root/proc/PID/fd@links) and each thread's comm (vCPU threads say
 * "CPU 0/KVM" or "CPU 0/TCG"): the runtime truth of the accelerator, which beats the command line.
 */
export interface ProcessScanItem extends ItemBase {
  kind: 'processes'
  exeNames: RegExp
  /** Shell-glob equivalents of exeNames, for the capture script. */
  exeGlobs: string[]
  maxProcesses: number
}

/** `<binary> --version` for every binary on PATH (and extra dirs) whose name matches. */
export interface BinaryVersionsItem extends ItemBase {
  kind: 'versions'
  id: string
  names: string[]
  /** Name globs searched in PATH and extraDirs. */
  globs: string[]
  extraDirs: string[]
}

const LOG_CAP = 8 * 1024 * 1024
const LIBVIRT_LOG_CAP = 2 * 1024 * 1024

/** CPUID leaves that tell vendor, vmx/svm and the hypervisor signature. */
export const CPUID_LEAVES: Array<[number, number]> = [
  [0x0, 0],
  [0x1, 0],
  [0x7, 0],
  [0x4000_0000, 0],
  [0x4000_0001, 0],
  [0x4000_0100, 0],
  [0x8000_0000, 0],
  [0x8000_0001, 0],
  [0x8000_000a, 0],
]

export const CAPTURE_SPEC: SpecItem[] = [
  // --- cpu
  {kind: 'file', path: '/proc/cpuinfo', group: 'cpu', why: 'CPU model, vendor, microcode and the vmx/svm/hypervisor flags'},
  {kind: 'command', id: 'lscpu', argv: ['lscpu'], group: 'cpu', why: 'hypervisor vendor and virtualization type as util-linux sees them'},
  {kind: 'cpuid', path: '/dev/cpu/0/cpuid', leaves: CPUID_LEAVES, group: 'cpu', why: 'real CPUID: hypervisor signature (KVMKVMKVM, TCGTCGTCGTCG, ...) and vmx/svm bits'},
  {kind: 'command', id: 'cpuid', argv: ['cpuid', '-1', '-r'], group: 'cpu', why: 'full raw CPUID dump, when the cpuid tool is installed'},
  {kind: 'command', id: 'x86info', argv: ['x86info', '-a'], group: 'cpu', needsRoot: true, why: 'asked for by the kernel nested-guest bug guidance on x86'},
  {kind: 'file', path: '/proc/sysinfo', group: 'cpu', why: 's390x machine and hypervisor levels (asked for by the kernel guidance)'},
  {kind: 'glob', pattern: '/sys/devices/system/cpu/vulnerabilities/*', group: 'cpu', why: 'L1TF/MDS state matters for nested EPT and performance'},

  // --- kernel
  {kind: 'file', path: '/proc/version', group: 'kernel', why: 'kernel version string and compiler'},
  {kind: 'file', path: '/proc/sys/kernel/osrelease', group: 'kernel', why: 'kernel release'},
  {kind: 'file', path: '/proc/sys/kernel/hostname', group: 'kernel', why: 'host name (redacted with --redact)'},
  {kind: 'file', path: '/proc/cmdline', group: 'kernel', why: 'kernel command line: kvm-arm.mode, nested_pvm, kvm_*.param= overrides'},
  {kind: 'file', path: '/proc/sys/kernel/tainted', group: 'kernel', why: 'taint flags: out-of-tree modules and earlier oopses change how a bug is read'},
  {kind: 'file', path: '/proc/sys/kernel/dmesg_restrict', group: 'kernel', why: 'explains an unreadable dmesg'},
  {kind: 'file', path: '/etc/os-release', group: 'kernel', why: 'distribution'},
  {kind: 'file', path: '/usr/lib/os-release', group: 'kernel', why: 'distribution, where /etc/os-release is absent'},
  {kind: 'command', id: 'uname', argv: ['uname', '-a'], group: 'kernel', why: 'kernel release and machine'},

  // --- kvm
  {kind: 'stat', path: '/dev/kvm', group: 'kvm', why: '/dev/kvm present and accessible'},
  {kind: 'file', path: '/proc/modules', group: 'kvm', why: 'which kvm modules are loaded (built-in ones only show in /sys/module)'},
  {kind: 'glob', pattern: '/sys/module/kvm*/parameters/*', group: 'kvm', maxFiles: 400, why: 'every parameter of every kvm module: nested, ept, npt, enable_shadow_vmcs, ... and vendor modules such as kvm_pvm'},
  {kind: 'glob', pattern: '/sys/module/kvm*/initstate', group: 'kvm', why: 'module loaded as a module (live) versus built in'},
  {kind: 'glob', pattern: '/sys/module/kvm*/version', group: 'kvm', why: 'out-of-tree module version'},
  {kind: 'glob', pattern: '/sys/module/kvm*/srcversion', group: 'kvm', why: 'module source checksum'},
  {kind: 'glob', pattern: '/etc/modprobe.d/*', group: 'kvm', maxFiles: 200, why: 'options kvm_intel nested=1 and friends'},
  {kind: 'glob', pattern: '/usr/lib/modprobe.d/*', group: 'kvm', maxFiles: 200, why: 'distribution defaults for kvm module options'},
  {kind: 'glob', pattern: '/run/modprobe.d/*', group: 'kvm', maxFiles: 200, why: 'runtime kvm module options'},

  // --- virt (what level is this, and under which hypervisor)
  {kind: 'glob', pattern: '/sys/class/dmi/id/*', group: 'virt', maxFiles: 64, why: 'DMI vendor/product (QEMU, KVM, Hyper-V, VMware, ...); machine type in product_version'},
  {kind: 'command', id: 'dmidecode', argv: ['dmidecode'], group: 'virt', needsRoot: true, why: 'asked for by the kernel nested-guest bug guidance'},
  {kind: 'file', path: '/sys/devices/system/clocksource/clocksource0/available_clocksource', group: 'virt', why: 'kvm-clock/hyperv_clocksource available = paravirtual guest'},
  {kind: 'file', path: '/sys/devices/system/clocksource/clocksource0/current_clocksource', group: 'virt', why: 'clocksource in use'},
  {kind: 'file', path: '/sys/hypervisor/type', group: 'virt', why: 'Xen and other hypervisors that register here'},
  {kind: 'file', path: '/proc/xen/capabilities', group: 'virt', why: 'Xen dom0 versus domU'},
  {kind: 'file', path: '/proc/device-tree/hypervisor/compatible', group: 'virt', why: 'arm/ppc hypervisor node'},
  {kind: 'command', id: 'systemd-detect-virt-vm', argv: ['systemd-detect-virt', '--vm'], group: 'virt', why: "systemd's VM verdict (asked separately from containers)"},
  {kind: 'command', id: 'systemd-detect-virt-container', argv: ['systemd-detect-virt', '--container'], group: 'virt', why: "systemd's container verdict"},
  {kind: 'command', id: 'virt-what', argv: ['virt-what'], group: 'virt', needsRoot: true, why: 'virt-what facts'},
  {kind: 'file', path: '/.dockerenv', group: 'virt', why: 'container marker'},
  {kind: 'file', path: '/run/.containerenv', group: 'virt', why: 'podman container marker'},
  {kind: 'file', path: '/run/systemd/container', group: 'virt', why: 'container type set by the container manager'},
  {kind: 'file', path: '/proc/1/cgroup', group: 'virt', why: 'container cgroup paths'},

  // --- qemu and libvirt
  {kind: 'versions', id: 'qemu', names: ['qemu-kvm', 'kvm'], globs: ['qemu-system-*'], extraDirs: ['/usr/libexec', '/usr/local/bin', '/usr/bin'], group: 'qemu', why: 'QEMU version of every installed emulator'},
  {kind: 'processes', exeNames: /^(qemu-system-.+|qemu-kvm|kvm)$/, exeGlobs: ['qemu-system-*', 'qemu-kvm', 'kvm'], maxProcesses: 32, group: 'qemu', why: 'command line and accelerator truth (KVM fds, vCPU thread names) of each running QEMU'},
  {kind: 'command', id: 'libvirtd-version', argv: ['libvirtd', '--version'], group: 'libvirt', why: 'libvirt daemon version'},
  {kind: 'command', id: 'virsh-version', argv: ['virsh', '--version'], group: 'libvirt', why: 'libvirt client version'},
  {kind: 'glob', pattern: '/var/log/libvirt/qemu/*.log', group: 'libvirt', maxBytes: LIBVIRT_LOG_CAP, maxFiles: 64, why: "each domain's last QEMU command line and QEMU-side errors (KVM: entry failed, failed to set MSR)"},
  {kind: 'glob', pattern: '/etc/libvirt/qemu/*.xml', group: 'libvirt', maxFiles: 64, why: 'persistent domain definitions: domain type (kvm/qemu) and CPU mode'},
  {kind: 'glob', pattern: '/run/libvirt/qemu/*.xml', group: 'libvirt', maxFiles: 64, why: 'live domain definitions of running domains'},

  // --- kernel log
  {kind: 'command', id: 'dmesg', argv: ['dmesg'], group: 'kernel-log', maxBytes: LOG_CAP, why: 'kernel ring buffer: oopses, WARNINGs, KVM messages'},
  {kind: 'command', id: 'journal-kernel', argv: ['journalctl', '-k', '-b', '0', '--no-pager', '-o', 'short-monotonic'], fallbackFor: 'dmesg', group: 'kernel-log', maxBytes: LOG_CAP, why: 'kernel log of this boot when dmesg is restricted or empty'},
  {kind: 'command', id: 'journal-kernel-previous', argv: ['journalctl', '-k', '-b', '-1', '--no-pager', '-o', 'short-monotonic'], group: 'kernel-log', maxBytes: LOG_CAP, why: 'kernel log of the previous boot: a crash that rebooted the level is there'},
  {kind: 'file', path: '/var/log/kern.log', group: 'kernel-log', maxBytes: LOG_CAP, why: 'syslog kernel log, when there is no journal'},
  {kind: 'file', path: '/var/log/messages', group: 'kernel-log', maxBytes: LOG_CAP, why: 'syslog (RHEL-style), when there is no journal'},
]
