/**
 * A small root filesystem for `capture.sh -r ROOT` (and captureFromSysroot over the same
 * directory): present, missing and unreadable files, a glob with a directory and a dotfile among
 * its matches, awkward file names for the JSON writer, a regular file standing in for /dev/kvm, a
 * sparse file standing in for the cpuid driver (offset = leaf), and a fake running QEMU in /proc.
 */
import {chmodSync, closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync} from 'node:fs'
import path from 'node:path'

export const FAKE_HOST = 'fakehost'
export const FAKE_QEMU_PID = 4242
/** File names the manifest must carry exactly (quote, tab, non-ASCII). */
export const AWKWARD_NAMES = ['we"ird name.conf', 'tab\there.conf', 'ünïcode.conf']
export const UNREADABLE = '/proc/sys/kernel/dmesg_restrict'

/**
 * Leaves written into the sparse stand-in. In a regular file neighbouring offsets overlap (the
 * driver reads 16 bytes at offset = leaf), so only leaves 16 or more apart are set here.
 */
export const FAKE_CPUID: Array<{leaf: number; regs: [number, number, number, number]}> = [
  // max leaf 0x1c, "AuthenticAMD"
  {leaf: 0x0, regs: [0x1c, 0x68747541, 0x444d4163, 0x69746e65]},
  // "KVMKVMKVM\0\0\0"
  {leaf: 0x4000_0000, regs: [0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d]},
]

function put(root: string, file: string, content: string | Buffer, mode = 0o644): void {
  const p = path.join(root, file)
  mkdirSync(path.dirname(p), {recursive: true, mode: 0o755})
  writeFileSync(p, content, {mode})
  chmodSync(p, mode)
}

export function buildFakeRoot(root: string): void {
  mkdirSync(root, {recursive: true, mode: 0o755})
  chmodSync(root, 0o755)
  put(root, '/proc/cpuinfo', 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 hypervisor\n\n')
  put(root, '/proc/version', 'Linux version 6.1.0-test (gcc) #1 SMP\n')
  put(root, '/proc/sys/kernel/osrelease', '6.1.0-test\n')
  put(root, '/proc/sys/kernel/hostname', `${FAKE_HOST}\n`)
  put(root, '/proc/cmdline', 'console=ttyS0 quiet\n')
  put(root, '/proc/sys/kernel/tainted', '0\n')
  put(root, UNREADABLE, '1\n', 0o000)
  put(root, '/etc/os-release', 'PRETTY_NAME="Fake Linux"\nID=fake\n')
  put(root, '/sys/module/kvm/parameters/halt_poll_ns', '200000\n')
  put(root, '/sys/module/kvm/parameters/tdp_mmu', 'N\n')
  put(root, '/sys/module/kvm_amd/parameters/nested', '1\n')
  put(root, '/sys/module/kvm_amd/parameters/npt', '1\n')
  put(root, '/sys/module/kvm_amd/parameters/.hidden', 'not a match\n')
  mkdirSync(path.join(root, '/sys/module/kvm_amd/parameters/subdir'), {recursive: true})
  put(root, '/sys/module/kvm_amd/initstate', 'live\n')
  put(root, '/sys/devices/system/clocksource/clocksource0/available_clocksource', 'kvm-clock tsc acpi_pm \n')
  put(root, '/sys/devices/system/clocksource/clocksource0/current_clocksource', 'kvm-clock\n')
  put(root, '/.dockerenv', '')
  for (const name of AWKWARD_NAMES) put(root, `/etc/modprobe.d/${name}`, `options kvm_amd nested=1 # ${name}\n`)
  put(root, '/dev/kvm', '')
  // The cpuid driver maps the file offset to the leaf: a sparse file with 16 bytes at each leaf.
  put(root, '/dev/cpu/0/cpuid', '', 0o400)
  const fd = openSync(path.join(root, '/dev/cpu/0/cpuid'), 'r+')
  try {
    for (const {leaf, regs} of FAKE_CPUID) {
      const block = Buffer.alloc(16)
      regs.forEach((r, i) => block.writeUInt32LE(r, i * 4))
      writeSync(fd, block, 0, 16, leaf)
    }
  } finally {
    closeSync(fd)
  }
  // A running QEMU (and PID 1, which is not one).
  const proc = `/proc/${FAKE_QEMU_PID}`
  put(root, `${proc}/cmdline`, ['qemu-system-x86_64', '-accel', 'kvm', '-name', 'guest=l2,debug-threads=on', ''].join('\0'))
  put(root, `${proc}/comm`, 'qemu-system-x86\n')
  put(root, `${proc}/status`, `Name:\tqemu-system-x86\nPid:\t${FAKE_QEMU_PID}\n`)
  symlinkSync('/usr/bin/qemu-system-x86_64', path.join(root, proc, 'exe'))
  mkdirSync(path.join(root, proc, 'fd'), {recursive: true})
  symlinkSync('/dev/null', path.join(root, proc, 'fd', '0'))
  symlinkSync('anon_inode:kvm-vm', path.join(root, proc, 'fd', '11'))
  symlinkSync('/dev/kvm', path.join(root, proc, 'fd', '2'))
  put(root, `${proc}/task/${FAKE_QEMU_PID}/comm`, 'qemu-system-x86\n')
  put(root, `${proc}/task/${FAKE_QEMU_PID + 1}/comm`, 'CPU 0/KVM\n')
  put(root, '/proc/1/cmdline', '/sbin/init\0')
  symlinkSync('/sbin/init', path.join(root, '/proc/1/exe'))
}
