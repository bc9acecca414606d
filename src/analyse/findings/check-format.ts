/**
 * The plain lines `nestreport check` prints, one check per line in the manner of `sf doctor` and
 * virt-host-validate: `FAIL  ID  title`, then the evidence and what to do under failures and
 * warnings, then a summary line. No colour, so it pastes into tickets and scripts can grep it.
 */
import type {Finding} from '../../model/combined.js'
import {wrapText} from '../../render/text.js'

const WORD = {fail: 'FAIL', warn: 'WARN', info: 'INFO', pass: 'PASS'} as const

export function formatCheckLines(findings: Finding[], context: {level: string | null; role: string; verbose?: boolean}): string {
  const idWidth = Math.max(0, ...findings.map((f) => f.id.length))
  const out: string[] = [`nestreport check: this machine is ${context.level ?? 'an unknown level'} (${context.role})`, '']
  for (const f of findings) {
    out.push(`${WORD[f.severity]}  ${f.id.padEnd(idWidth)}  ${f.title}`)
    if (f.severity === 'pass' && !context.verbose) continue
    for (const e of f.evidence) out.push(wrapText(`      - ${e.source}: ${e.text}`, 100))
    if (f.advice) out.push(wrapText(`      fix: ${f.advice}`, 100))
  }
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length
  out.push('', `${count('fail')} FAIL, ${count('warn')} WARN, ${count('info')} INFO, ${count('pass')} PASS`)
  return `${out.join('\n')}\n`
}
