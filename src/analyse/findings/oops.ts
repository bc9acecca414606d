/**
 * Kernel oopses, BUGs and WARNINGs per level, and the same stack seen at two levels (one bug
 * surfacing in L0 and L1 is a strong hint at where to look). The kernel-log analyser gave each
 * report a stack hash; equal hashes mean the same call path.
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import type {LevelName} from '../../model/level.js'
import {evidence, finding, levelOf, type Setup} from './common.js'

/** KERNEL_OOPS (fail when a report is KVM-related or panicked, warn otherwise), NO_KERNEL_OOPS (pass), KERNEL_LOG_MISSING (info). */
export function oopsPerLevel(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    if (!name) continue
    const log = model.kernelLog
    if (log.source === null) {
      const nc = model.notCollected.find((n) => n.group === 'kernel-log')
      out.push(finding('KERNEL_LOG_MISSING', 'info', `No kernel log was captured at ${name}`, [name], [evidence(name, 'capture manifest', nc?.why ?? 'no readable dmesg, journal or syslog')],
        'Capture again as root (dmesg_restrict=1 hides the log from other users), or attach the kernel log by hand.'))
      continue
    }
    if (log.oopses.length === 0) {
      out.push(finding('NO_KERNEL_OOPS', 'pass', `No oops, BUG or WARNING in ${name}'s kernel log`, [name], [evidence(name, log.source, `${log.lines} lines read`)]))
      continue
    }
    const severe = log.oopses.some((o) => o.kvmRelated || o.panicked) || log.panicked
    const ev: FindingEvidence[] = log.oopses.map((o) =>
      evidence(name, `${o.source} line ${o.startLine}`, `${o.title}${o.kvmRelated ? ' [KVM]' : ''}${o.panicked ? ' [panic]' : ''}`),
    )
    const kvm = log.oopses.filter((o) => o.kvmRelated).length
    out.push(
      finding('KERNEL_OOPS', severe ? 'fail' : 'warn', `${log.oopses.length} kernel report${log.oopses.length === 1 ? '' : 's'} at ${name}${kvm > 0 ? ` (${kvm} KVM-related)` : ''}${log.panicked ? ', kernel panicked' : ''}`,
        [name], ev, 'Attach the first report of each kind in full (the later ones may be consequences); the raw logs are in the archive at the lines cited.'),
    )
  }
  return out
}

/** SAME_OOPS_MULTI_LEVEL (warn): equal stack hashes at two or more levels. */
export function sameOopsAcrossLevels(setup: Setup): Finding[] {
  const byHash = new Map<string, Array<{level: LevelName; title: string; where: string}>>()
  for (const model of setup.levels) {
    const name = levelOf(model)
    if (!name) continue
    for (const o of model.kernelLog.oopses) {
      if (!o.stackHash) continue
      const list = byHash.get(o.stackHash) ?? []
      list.push({level: name, title: o.title, where: `${o.source} line ${o.startLine}`})
      byHash.set(o.stackHash, list)
    }
  }
  const out: Finding[] = []
  for (const [hash, seen] of [...byHash].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const levels = [...new Set(seen.map((s) => s.level))]
    if (levels.length < 2) continue
    out.push(
      finding('SAME_OOPS_MULTI_LEVEL', 'warn', `The same kernel stack (${seen[0].title}) appears at ${levels.sort().join(' and ')}`, levels,
        seen.map((s) => evidence(s.level, s.where, `${s.title} (stack hash ${hash})`)),
        'One bug seen at several levels: report it once, with every level\'s copy, and say which level showed it first (compare timestamps).'),
    )
  }
  return out
}
