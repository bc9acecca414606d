/**
 * Taint decoding: the `Tainted: G   W  O  6.15.0` flag field of the CPU/Pid line and the verbose
 * `Tainted: [W]=WARN, [O]=OOT_MODULE` line (kernel/panic.c taint_flags[]).
 */
import type {Taint, TaintFlag} from './types.js'

/** Taint bits in kernel order (include/linux/panic.h, Documentation/admin-guide/tainted-kernels.rst). */
export const TAINT_BITS: ReadonlyArray<{letter: string; name: string; description: string}> = [
  {letter: 'P', name: 'PROPRIETARY_MODULE', description: 'proprietary module was loaded'},
  {letter: 'F', name: 'FORCED_MODULE', description: 'module was force loaded'},
  {letter: 'S', name: 'CPU_OUT_OF_SPEC', description: 'kernel running on an out of specification system'},
  {letter: 'R', name: 'FORCED_RMMOD', description: 'module was force unloaded'},
  {letter: 'M', name: 'MACHINE_CHECK', description: 'processor reported a Machine Check Exception'},
  {letter: 'B', name: 'BAD_PAGE', description: 'bad page referenced or some unexpected page flags'},
  {letter: 'U', name: 'USER', description: 'taint requested by userspace application'},
  {letter: 'D', name: 'DIE', description: 'kernel died recently, i.e. there was an OOPS or BUG'},
  {letter: 'A', name: 'OVERRIDDEN_ACPI_TABLE', description: 'ACPI table overridden by user'},
  {letter: 'W', name: 'WARN', description: 'kernel issued warning'},
  {letter: 'C', name: 'CRAP', description: 'staging driver was loaded'},
  {letter: 'I', name: 'FIRMWARE_WORKAROUND', description: 'workaround for bug in platform firmware applied'},
  {letter: 'O', name: 'OOT_MODULE', description: 'externally-built ("out-of-tree") module was loaded'},
  {letter: 'E', name: 'UNSIGNED_MODULE', description: 'unsigned module was loaded'},
  {letter: 'L', name: 'SOFTLOCKUP', description: 'soft lockup occurred'},
  {letter: 'K', name: 'LIVEPATCH', description: 'kernel has been live patched'},
  {letter: 'X', name: 'AUX', description: 'auxiliary taint, defined for and used by distros'},
  {letter: 'T', name: 'RANDSTRUCT', description: 'kernel was built with the struct randomization plugin'},
  {letter: 'N', name: 'TEST', description: 'an in-kernel test has been run'},
  {letter: 'J', name: 'FWCTL', description: 'userspace used a mutating debug operation in fwctl'},
]

/** Letter -> kernel name, for the `Tainted:` fields of oops reports. */
export const TAINT_NAMES: Readonly<Record<string, string>> = Object.fromEntries(TAINT_BITS.map((f) => [f.letter, f.name]))

/**
 * Decode the flag field that follows `Tainted: ` on a CPU/Pid line (the kernel release, which
 * starts with a digit or `(`, ends it). `G` (no proprietary module) is not a taint.
 */
export function decodeTaintField(field: string): Taint {
  const raw = field.replace(/\s+$/, '')
  const flags: TaintFlag[] = []
  const seen = new Set<string>()
  for (const ch of raw) {
    if (ch === ' ' || ch === 'G' || seen.has(ch)) continue
    seen.add(ch)
    flags.push({letter: ch, name: TAINT_NAMES[ch] ?? 'UNKNOWN'})
  }
  return {raw, flags}
}

const VERBOSE_RE = /\[([A-Z])\]=([A-Z_0-9]+)/g

/** `Tainted: [W]=WARN, [O]=OOT_MODULE` (v6.11+): the kernel's own names. */
export function decodeVerboseTaint(text: string): Taint | null {
  const flags: TaintFlag[] = []
  for (const m of text.matchAll(VERBOSE_RE)) flags.push({letter: m[1], name: m[2]})
  if (flags.length === 0) return null
  return {raw: text.replace(/^Tainted:\s*/, '').trim(), flags}
}

export const NOT_TAINTED: Taint = Object.freeze({raw: '', flags: []}) as Taint
