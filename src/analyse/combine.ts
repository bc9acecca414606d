/**
 * Combine the per-level models of one nested setup: decide which bundle is which level, order them
 * L0 -> L2, and derive what the combined report shows (chain, comparison table, findings, checklist).
 *
 * Level assignment, strongest first:
 *   1. a correction on the `report` command line (--level FILE=L1 or --level #2=L1),
 *   2. the --level given when the bundle was captured (kept in its manifest),
 *   3. the level the bundle's evidence says,
 *   4. the only level no other bundle claims, when exactly one bundle and one level are left.
 * Two bundles on one level, or a bundle that cannot be placed, stop with a usage error naming the
 * bundles and the flag that fixes it: guessing would put the wrong machine's facts in the report.
 */
import path from 'node:path'

import type {Capture} from '../capture/types.js'
import {NestreportError} from '../lib/errors.js'
import {
  ASSIGNED_BY_WORDS,
  type AssignedBy,
  COMBINED_SCHEMA,
  COMBINED_SCHEMA_VERSION,
  type CombinedLevel,
  CombinedModel,
  LEVEL_ORDER,
} from '../model/combined.js'
import type {LevelModel, LevelName} from '../model/level.js'
import {buildChecklist} from './checklist.js'
import {buildComparison} from './comparison.js'
import {chainText} from './chain.js'
import {runsGuest} from './findings/common.js'
import {analyseSetup} from './findings/index.js'

export interface CombineInput {
  model: LevelModel
  capture?: Capture
  /** The bundle's file name, shown in the report. */
  bundleName: string
  /** --level correction from the report command line. */
  levelOverride?: LevelName
  /** Position on the command line, from 1; defaults to the position in `inputs`. */
  position?: number
}

export interface CombineOptions {
  now?: Date
  tool?: {name: string; version: string}
}

interface Placed {
  input: CombineInput
  level: LevelName | null
  assignedBy: AssignedBy | null
  /** For assignedBy 'linked': the bundle above and how it runs this one. */
  linkedBy?: string
}

export function combineLevels(inputs: CombineInput[], options: CombineOptions = {}): CombinedModel {
  if (inputs.length === 0) throw new NestreportError('usage', 'no bundles given: pass the bundle of each level (L0, L1, L2)')
  const placed = assignLevels(inputs)
  const levels: CombinedLevel[] = placed
    .map((p, i) => toCombinedLevel(p, p.input.position ?? i + 1))
    .sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level))
  const models = levels.map((l) => l.model)
  const present = new Set(levels.map((l) => l.level))
  const captures = new Map(placed.map((p) => [p.level!, p.input.capture]))
  const model: CombinedModel = {
    schema: COMBINED_SCHEMA,
    schemaVersion: COMBINED_SCHEMA_VERSION,
    tool: options.tool ?? models[0].tool,
    generatedAt: (options.now ?? new Date()).toISOString(),
    chain: chainText(levels),
    levels,
    missingLevels: LEVEL_ORDER.filter((l) => !present.has(l)),
    comparison: buildComparison(levels),
    findings: analyseSetup(models, {linked: levels.filter((l) => l.assignedBy === 'linked').map((l) => l.level)}),
    checklist: buildChecklist(
      levels.map((l) => ({
        level: l.level,
        model: l.model,
        capture: captures.get(l.level),
        archiveDir: l.archiveDir,
        innermost: l.level === 'L2' || (!present.has(LEVEL_ORDER[LEVEL_ORDER.indexOf(l.level) + 1]) && l.model.qemu.processes.length === 0),
      })),
    ),
  }
  return CombinedModel.parse(model)
}

function assignLevels(inputs: CombineInput[]): Placed[] {
  const placed: Placed[] = inputs.map((input) => {
    if (input.levelOverride) return {input, level: input.levelOverride, assignedBy: 'command-line'}
    if (input.model.level.override) return {input, level: input.model.level.override, assignedBy: 'bundle-override'}
    if (input.model.level.detected) return {input, level: input.model.level.detected, assignedBy: 'detected'}
    return {input, level: null, assignedBy: null}
  })
  placeByLinks(placed)
  for (const name of LEVEL_ORDER) {
    const claim = placed.filter((p) => p.level === name)
    if (claim.length > 1) {
      const who = claim.map((p) => `${p.input.bundleName} (${ASSIGNED_BY_WORDS[p.assignedBy!]})`).join(', ')
      throw new NestreportError('usage', `${claim.length} bundles are ${name}: ${who}; say which level each is with --level FILE=L0|L1|L2`)
    }
  }
  const unplaced = placed.filter((p) => p.level === null)
  if (unplaced.length > 0) {
    const free = LEVEL_ORDER.filter((name) => !placed.some((p) => p.level === name))
    if (unplaced.length === 1 && free.length === 1) {
      unplaced[0].level = free[0]
      unplaced[0].assignedBy = 'only-level-left'
    } else {
      const names = unplaced.map((p) => p.input.bundleName).join(', ')
      throw new NestreportError('usage', `cannot tell the level of ${names}: give it with --level FILE=L0|L1|L2`)
    }
  }
  return placed
}

/**
 * A bundle run by another bundle of the set (its QEMU or libvirt domain names this host, or its
 * -uuid is this guest's DMI UUID) sits one level below it. This beats detection, which cannot tell
 * an L1 from an L2 that also has /dev/kvm, or an L1 without vmx from an L2; explicit --level wins.
 */
function placeByLinks(placed: Placed[]): void {
  const parent = new Map<Placed, {by: Placed; how: string}>()
  for (const lower of placed) {
    const uppers = placed.flatMap((upper) => {
      const how = upper === lower ? null : runsGuest(upper.input.model, lower.input.model)
      return how ? [{by: upper, how}] : []
    })
    // Two bundles claiming the same guest say nothing reliable.
    if (uppers.length === 1) parent.set(lower, uppers[0])
  }
  const explicit = (p: Placed) => p.assignedBy === 'command-line' || p.assignedBy === 'bundle-override'
  const resolve = (p: Placed, seen: Set<Placed>): LevelName | null => {
    const link = parent.get(p)
    if (explicit(p) || !link || seen.has(p)) return p.level
    seen.add(p)
    const upper = resolve(link.by, seen)
    const index = upper ? LEVEL_ORDER.indexOf(upper) + 1 : -1
    if (index <= 0 || index >= LEVEL_ORDER.length) return p.level
    const level = LEVEL_ORDER[index]
    p.level = level
    p.assignedBy = 'linked'
    p.linkedBy = `${link.by.input.bundleName} (${link.how})`
    return level
  }
  for (const p of placed) resolve(p, new Set())
}

function toCombinedLevel(placed: Placed, position: number): CombinedLevel {
  const {input, linkedBy} = placed
  const level = placed.level!
  const assignedBy = placed.assignedBy!
  const m = input.model
  const detected = m.level.detected ? `detected ${m.level.detected}${m.level.reasons.length > 0 ? ` (${m.level.reasons.join('; ')})` : ''}` : 'not detected'
  let why: string
  if (assignedBy === 'detected') why = detected
  else if (assignedBy === 'only-level-left') why = `${detected}; ${level} is the only level no other bundle claims`
  else if (assignedBy === 'linked') why = `run by ${linkedBy}; ${detected}`
  else why = `${ASSIGNED_BY_WORDS[assignedBy]} says ${level}; ${detected}`
  return {
    level,
    bundle: input.bundleName,
    position,
    assignedBy,
    why,
    archiveDir: level,
    model: {
      ...m,
      level: {...m.level, override: assignedBy === 'command-line' ? level : m.level.override, effective: level},
    },
  }
}

/** Parse `--level` corrections: `FILE=L1` (the file as given or its base name) or `#2=L1` (the 2nd bundle). */
export function parseLevelCorrections(values: string[], bundles: string[]): Map<number, LevelName> {
  const out = new Map<number, LevelName>()
  for (const v of values) {
    const m = /^(.+)=(L[0-2])$/i.exec(v.trim())
    if (!m) throw new NestreportError('usage', `--level ${v}: expected FILE=L0|L1|L2 or #N=L0|L1|L2`)
    const target = m[1]
    const level = m[2].toUpperCase() as LevelName
    let index: number
    const positional = /^#(\d+)$/.exec(target)
    if (positional) {
      index = Number(positional[1]) - 1
      if (index < 0 || index >= bundles.length) throw new NestreportError('usage', `--level ${v}: there are ${bundles.length} bundles, numbered from #1`)
    } else {
      const matches = bundles.flatMap((b, i) => (b === target || path.basename(b) === path.basename(target) ? [i] : []))
      if (matches.length === 0) throw new NestreportError('usage', `--level ${v}: ${target} is not one of the bundles given`)
      if (matches.length > 1) throw new NestreportError('usage', `--level ${v}: ${target} matches several bundles; use #N=LEVEL`)
      index = matches[0]
    }
    if (out.has(index) && out.get(index) !== level) throw new NestreportError('usage', `--level gives bundle #${index + 1} two levels`)
    out.set(index, level)
  }
  return out
}
