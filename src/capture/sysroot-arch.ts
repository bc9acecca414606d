/**
 * The architecture of an offline root filesystem, which has no uname to ask: the ELF header of
 * its shell (what `file /bin/sh` reads: e_machine, with the class and byte order for the variants
 * sharing one), else what its /proc/cpuinfo looks like (captured /proc of the machine, when the
 * sysroot has one). Names are uname -m's, as a live capture records them.
 */

/** Binaries every Linux root has, in the order tried. */
const ELF_PROBES = ['/bin/sh', '/usr/bin/sh', '/bin/busybox', '/sbin/init', '/usr/bin/env']

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46])

/** uname -m for an ELF header's e_machine, its class (64-bit?) and byte order (little-endian?). */
function unameMachine(machine: number, is64: boolean, little: boolean): string | null {
  switch (machine) {
    case 3:
      return 'i686'
    case 62:
      return 'x86_64'
    case 40:
      return 'armv7l'
    case 183:
      return 'aarch64'
    case 22:
      return is64 ? 's390x' : 's390'
    case 20:
      return 'ppc'
    case 21:
      return little ? 'ppc64le' : 'ppc64'
    case 243:
      return is64 ? 'riscv64' : 'riscv32'
    case 258:
      return 'loongarch64'
    case 8:
      return is64 ? 'mips64' : 'mips'
    default:
      return null
  }
}

/** uname -m from the first bytes of an ELF file, or null when it is not one we know. */
export function elfMachine(header: Buffer): string | null {
  if (header.length < 20 || !header.subarray(0, 4).equals(ELF_MAGIC)) return null
  const is64 = header[4] === 2
  const little = header[5] === 1
  const machine = little ? header.readUInt16LE(18) : header.readUInt16BE(18)
  return unameMachine(machine, is64, little)
}

/** A best guess from /proc/cpuinfo text: each architecture names its fields differently. */
export function cpuinfoMachine(cpuinfo: string): string | null {
  if (/^vendor_id\s*:\s*IBM\/S390/m.test(cpuinfo)) return 's390x'
  if (/^flags\s*:.*\blm\b/m.test(cpuinfo)) return 'x86_64'
  if (/^flags\s*:/m.test(cpuinfo) && /^vendor_id\s*:/m.test(cpuinfo)) return 'i686'
  if (/^CPU implementer\s*:/m.test(cpuinfo)) return 'aarch64'
  if (/^cpu\s*:\s*POWER/m.test(cpuinfo)) return 'ppc64le'
  if (/^isa\s*:\s*rv64/m.test(cpuinfo)) return 'riscv64'
  return null
}

/**
 * uname -m of the system in a sysroot, or 'unknown'. `readHead` gives the first bytes of a file
 * of the sysroot (resolved inside it).
 */
export async function sysrootArch(readHead: (file: string, length: number) => Promise<Buffer>, files: Map<string, Buffer>): Promise<string> {
  for (const probe of ELF_PROBES) {
    try {
      const machine = elfMachine(await readHead(probe, 20))
      if (machine) return machine
    } catch {
      // Not there (or not readable): the next one.
    }
  }
  const cpuinfo = files.get('/proc/cpuinfo')
  return (cpuinfo && cpuinfoMachine(cpuinfo.toString('utf8'))) ?? 'unknown'
}
