/**
 * Tainted kernels: out-of-tree or unsigned modules, an earlier oops (D) or warning (W), forced
 * loads. Developers read a report from a tainted kernel differently, and often ask first whether the
 * bug reproduces untainted.
 */
import type {Finding} from '../../model/combined.js'
import {evidence, finding, levelOf, type Setup} from './common.js'

/** KERNEL_TAINTED (warn) or KERNEL_NOT_TAINTED (pass) per level; nothing when the value was not read. */
export function taintedKernels(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    const t = model.kernel.tainted
    if (!name || t.value === null) continue
    const source = t.source || '/proc/sys/kernel/tainted'
    if (t.value === 0) {
      out.push(finding('KERNEL_NOT_TAINTED', 'pass', `${name}'s kernel is not tainted`, [name], [evidence(name, source, '0')]))
      continue
    }
    const flags = t.flags.map((f) => `${f.letter} (${f.name})`).join(', ')
    const hasOutOfTree = t.flags.some((f) => f.letter === 'O' || f.letter === 'E' || f.letter === 'P')
    const advice = [
      hasOutOfTree ? 'name the out-of-tree or proprietary modules in the report, and reproduce without them if you can' : null,
      t.flags.some((f) => f.letter === 'D' || f.letter === 'W') ? 'an earlier oops or warning tainted the kernel: the first report in the log is the one to look at' : null,
    ].filter(Boolean)
    out.push(
      finding('KERNEL_TAINTED', 'warn', `${name}'s kernel is tainted (${t.flags.map((f) => f.letter).join('') || t.value})`, [name],
        [evidence(name, source, `${t.value}${flags ? `: ${flags}` : ''}`)],
        advice.length > 0 ? `${advice.join('; ')}.` : 'Say in the report why the kernel is tainted; developers may ask for an untainted reproduction.'),
    )
  }
  return out
}
