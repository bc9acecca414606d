/**
 * Taint decoding: the `Tainted: G   W  O  6.15.0` flag field of the CPU/Pid line and the verbose
 * `Tainted: [W]=WARN, [O]=OOT_MODULE` line (kernel/panic.c taint_flags[]).
 */
import type {Taint, TaintFlag} from './types.js'

export const TAINT_NAMES: Readonly<Record<string, string>> = {
  P: 'PROPRIETARY_MODULE',
  F: 'FORCED_MODULE',
  S: 'CPU_OUT_OF_SPEC',
  R: 'FORCED_RMMOD',
  M: 'MACHINE_CHECK',
  B: 'BAD_PAGE',
  U: 'USER',
  D: 'DIE',
  A: 'OVERRIDDEN_ACPI_TABLE',
  W: 'WARN',
  C: 'CRAP',
  I: 'FIRMWARE_WORKAROUND',
  O: 'OOT_MODULE',
  E: 'UNSIGNED_MODULE',
  L: 'SOFTLOCKUP',
  K: 'LIVEPATCH',
  X: 'AUX',
  T: 'RANDSTRUCT',
  N: 'TEST',
  J: 'FWCTL',
}

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
