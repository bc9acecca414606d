/**
 * The view model of the combined (nested setup) report: plain objects and strings worded once, so
 * templates/combined.md.hbs, templates/combined.txt.hbs and a user's --template say the same thing.
 * `model` carries the whole CombinedModel for user templates that want more.
 */
import {archivePathOf} from '../analyse/checklist.js'
import {ASSIGNED_BY_WORDS, type ChecklistCell, type CombinedModel, type Finding, type Severity} from '../model/combined.js'
import type {LevelName} from '../model/level.js'
import {plural} from './engine.js'

const SEVERITY_WORD: Record<Severity, string> = {fail: 'FAIL', warn: 'WARN', info: 'INFO', pass: 'PASS'}

export interface CellView {
  level: LevelName
  value: string
}

function findingView(f: Finding) {
  return {
    id: f.id,
    severity: f.severity,
    severityWord: SEVERITY_WORD[f.severity],
    title: f.title,
    levels: f.levels.join(', ') || 'the set of bundles',
    evidence: f.evidence.map((e) => ({level: e.level ?? 'set', source: e.source, text: e.text})),
    advice: f.advice,
  }
}

function checklistWords(cell: ChecklistCell | undefined): {mark: string; ascii: string; note: string} {
  if (!cell) return {mark: '—', ascii: '[?]', note: 'no bundle'}
  if (cell.ok) return {mark: '✔', ascii: '[x]', note: cell.where ?? ''}
  if (cell.notApplicable) return {mark: 'n/a', ascii: '[-]', note: cell.why ?? 'not applicable'}
  return {mark: '✘', ascii: '[ ]', note: cell.why ?? 'missing'}
}

function opening(model: CombinedModel): string {
  const present = model.levels.map((l) => l.level)
  const missing = model.missingLevels.length > 0 ? ` No bundle was given for ${model.missingLevels.join(' and ')}.` : ''
  return `This is a nested virtualization setup: ${plural(present.length, 'level', 'levels')} (${present.join(', ')}) collected with nestreport and combined into one report.${missing}`
}

function headline(model: CombinedModel): string {
  const count = (s: Severity) => model.findings.filter((f) => f.severity === s).length
  const parts = [
    plural(count('fail'), 'failure', 'failures'),
    plural(count('warn'), 'warning', 'warnings'),
    `${count('info')} informational`,
    plural(count('pass'), 'check passed', 'checks passed'),
  ]
  return parts.join(', ')
}

function oopsesView(model: CombinedModel) {
  return model.levels.map((l) => {
    const log = l.model.kernelLog
    return {
      level: l.level,
      source: log.source ?? 'none',
      summary:
        log.source === null
          ? 'no kernel log captured'
          : `${plural(log.oopses.length, 'report', 'reports')}${log.panicked ? ', kernel panicked' : ''} (read ${log.source}, ${log.lines} lines${log.extraSources.map((x) => `; ${x}`).join('')})`,
      oopses: log.oopses.map((o) => {
        const file = archivePathOf(l.archiveDir, o.source) ?? `${l.archiveDir}/${o.source}`
        return {
          title: o.title,
          kind: o.kind,
          kindTags: [o.kind, o.kvmRelated ? 'KVM-related' : null, o.panicked ? 'panicked' : null, o.source.endsWith('-previous') ? 'previous boot' : null]
            .filter(Boolean)
            .join(', '),
          file,
          link: `${file}#L${o.startLine}`,
          lines: o.startLine === o.endLine ? `line ${o.startLine}` : `lines ${o.startLine}-${o.endLine}`,
          stackHash: o.stackHash,
          text: o.text,
        }
      }),
    }
  })
}

export function combinedView(model: CombinedModel) {
  const columns = model.levels.map((l) => l.level)
  const problems = model.findings.filter((f) => f.severity !== 'pass')
  return {
    title: `Nested virtualization report: ${columns.join(' + ')}`,
    opening: opening(model),
    chain: model.chain,
    chainSteps: model.chain.split(' -> '),
    headline: headline(model),
    columns,
    levels: model.levels.map((l) => ({
      level: l.level,
      bundle: l.bundle,
      position: l.position,
      assignedBy: ASSIGNED_BY_WORDS[l.assignedBy],
      why: l.why,
      archiveDir: l.archiveDir,
      host: l.model.kernel.hostname.value ?? 'unknown',
    })),
    missingLevels: model.missingLevels,
    archiveDirs: model.levels.map((l) => `${l.archiveDir}/`).join(', '),
    anyDiffers: model.comparison.some((r) => r.differs),
    comparison: model.comparison.map((r) => ({
      label: r.label,
      differs: r.differs,
      cells: columns.map((level): CellView => ({level, value: r.values[level] ?? 'unknown'})),
    })),
    findings: problems.map(findingView),
    topFindings: problems.filter((f) => f.severity === 'fail' || f.severity === 'warn').map(findingView),
    passes: model.findings.filter((f) => f.severity === 'pass').map(findingView),
    checklist: model.checklist.map((c) => ({
      item: c.item,
      cells: columns.map((level) => ({level, ok: c.perLevel[level]?.ok ?? false, ...checklistWords(c.perLevel[level])})),
    })),
    oopses: oopsesView(model),
    generatedAt: model.generatedAt,
    tool: model.tool,
    model,
  }
}

export type CombinedView = ReturnType<typeof combinedView>
