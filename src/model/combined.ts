/**
 * The combined model: one nested setup (L0, L1, L2) as `nestreport report` sees it after reading
 * every level's bundle. It is what report.json holds at the top of the combined archive and what the
 * markdown/text templates render, so a KVM developer's tools can read the same facts as the prose.
 * Versioned like the level model (COMBINED_SCHEMA_VERSION); each level keeps its own LevelModel
 * unchanged apart from the level the combination assigned to it.
 */
import {z} from 'zod'

import {LevelModel, LevelName} from './level.js'

export const COMBINED_SCHEMA = 'nestreport/combined'
export const COMBINED_SCHEMA_VERSION = 1

export const LEVEL_ORDER: readonly LevelName[] = ['L0', 'L1', 'L2']

/** pass: a check that held (printed by `check`); info: worth knowing; warn: likely to hurt; fail: this breaks nesting. */
export const Severity = z.enum(['fail', 'warn', 'info', 'pass'])
export type Severity = z.infer<typeof Severity>

export const FindingEvidence = z.object({
  /** The level the evidence was seen at; null for facts about the set of bundles itself. */
  level: LevelName.nullable(),
  /** File, "command:<id>", "dmesg line 42", "bundle <name>", "QEMU pid 1234 argv". */
  source: z.string(),
  text: z.string(),
})
export type FindingEvidence = z.infer<typeof FindingEvidence>

export const Finding = z.object({
  /** Stable identifier (NESTED_DISABLED_L0, L2_ON_TCG, ...): scripts and tests key on it. */
  id: z.string(),
  severity: Severity,
  title: z.string(),
  levels: z.array(LevelName),
  evidence: z.array(FindingEvidence),
  /** What to do, concretely; empty for pass results. */
  advice: z.string(),
})
export type Finding = z.infer<typeof Finding>

export const ChecklistCell = z.object({
  ok: z.boolean(),
  /** Where the item sits inside the combined archive, when collected ("L1/root/proc/cpuinfo"). */
  where: z.string().optional(),
  /** Why it is missing or does not apply. */
  why: z.string().optional(),
  /** The item does not apply to this level (x86info on s390x, a QEMU command line in the innermost level). */
  notApplicable: z.boolean().optional(),
})
export type ChecklistCell = z.infer<typeof ChecklistCell>

export const ChecklistItem = z.object({
  key: z.string(),
  /** The kernel documentation's wording of the item. */
  item: z.string(),
  perLevel: z.partialRecord(LevelName, ChecklistCell),
})
export type ChecklistItem = z.infer<typeof ChecklistItem>

export const ComparisonRow = z.object({
  key: z.string(),
  label: z.string(),
  /** Display value per level present; null when that level does not know it. */
  values: z.partialRecord(LevelName, z.string().nullable()),
  /** The values differ between levels in a way the reader should notice. */
  differs: z.boolean(),
})
export type ComparisonRow = z.infer<typeof ComparisonRow>

export const AssignedBy = z.enum(['command-line', 'bundle-override', 'linked', 'detected', 'only-level-left'])
export type AssignedBy = z.infer<typeof AssignedBy>

/** How each way of assigning a level is worded in messages and reports. */
export const ASSIGNED_BY_WORDS: Record<AssignedBy, string> = {
  'command-line': '--level on the report command line',
  'bundle-override': '--level at capture time',
  linked: 'run by the level above',
  detected: 'detected',
  'only-level-left': 'the only level left',
}

export const CombinedLevel = z.object({
  level: LevelName,
  /** The bundle's file name (without its directory). */
  bundle: z.string(),
  /** Its position among the bundles given, from 1 (what --level #N=... refers to). */
  position: z.number().int(),
  assignedBy: AssignedBy,
  /** One sentence: why this bundle is this level. */
  why: z.string(),
  /** Directory of this level's raw capture inside the combined archive ("L1"). */
  archiveDir: z.string(),
  model: LevelModel,
})
export type CombinedLevel = z.infer<typeof CombinedLevel>

export const CombinedModel = z.object({
  schema: z.literal(COMBINED_SCHEMA),
  schemaVersion: z.number().int(),
  tool: z.object({name: z.string(), version: z.string()}),
  generatedAt: z.string(),
  /** "L0 bare metal ... KVM -> L1 QEMU 8.2 -cpu host (KVM) -> L2 ... (TCG)". */
  chain: z.string(),
  levels: z.array(CombinedLevel),
  missingLevels: z.array(LevelName),
  comparison: z.array(ComparisonRow),
  findings: z.array(Finding),
  checklist: z.array(ChecklistItem),
})
export type CombinedModel = z.infer<typeof CombinedModel>

const SEVERITY_RANK: Record<Severity, number> = {fail: 0, warn: 1, info: 2, pass: 3}

/** Most severe first, then by level, then by id: a stable order for reports and tests. */
export function compareFindings(a: Finding, b: Finding): number {
  const bySeverity = SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]
  if (bySeverity !== 0) return bySeverity
  const la = a.levels[0] ?? 'L9'
  const lb = b.levels[0] ?? 'L9'
  if (la !== lb) return la < lb ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
