/**
 * The findings of a nested setup. Each family module holds pure functions over LevelModels; this
 * file only decides which run for a whole setup (`report`) and which for one machine (`check`).
 * Pass results are findings too (severity 'pass'), so `check` prints what held as well as what did not.
 */
import {compareFindings, type Finding} from '../../model/combined.js'
import type {LevelModel, LevelName} from '../../model/level.js'
import {acceleratorBelow} from './acceleration.js'
import {evidence, finding, levelOf, type Setup} from './common.js'
import {devKvm, nonVmxSvmModule} from './kvm-device.js'
import {amdL1Migration, intelNestedMigration} from './migration.js'
import {l0IsGuest, nestedOnL0, vmxExposedToL1} from './nesting.js'
import {oopsPerLevel, sameOopsAcrossLevels} from './oops.js'
import {slowL2Parameters} from './performance.js'
import {qemuKvmErrors} from './qemu-log.js'
import {labelMismatch, missingLevels, unlinkedLevels, vendorMismatch, versionMismatch} from './set.js'
import {taintedKernels} from './taint.js'

type Family = (setup: Setup) => Finding[]

/** Families that read one level at a time (or its neighbour when present): valid for `check`. */
const PER_LEVEL: Family[] = [
  nestedOnL0,
  l0IsGuest,
  vmxExposedToL1,
  acceleratorBelow,
  qemuKvmErrors,
  devKvm,
  nonVmxSvmModule,
  slowL2Parameters,
  intelNestedMigration,
  amdL1Migration,
  oopsPerLevel,
  taintedKernels,
  labelMismatch,
  versionMismatch,
]

/** Families that compare bundles: only meaningful for a set. */
const ACROSS_LEVELS: Family[] = [missingLevels, unlinkedLevels, vendorMismatch, sameOopsAcrossLevels]

/** Every finding for a setup whose models carry their assigned level in level.effective. */
export function analyseSetup(levels: LevelModel[], context: {linked?: LevelName[]} = {}): Finding[] {
  const setup: Setup = {levels, single: false, linked: context.linked}
  return [...PER_LEVEL, ...ACROSS_LEVELS].flatMap((family) => family(setup)).sort(compareFindings)
}

/** The checks `nestreport check` prints for one machine, pass results included. */
export function checkLevel(level: LevelModel): Finding[] {
  const setup: Setup = {levels: [level], single: true}
  const out = PER_LEVEL.flatMap((family) => family(setup))
  if (levelOf(level) === null) {
    out.push(
      finding('LEVEL_UNKNOWN', 'info', 'Could not tell whether this machine is L0, L1 or L2; level-specific checks were skipped', [],
        level.level.reasons.map((r) => evidence(null, 'level detection', r)),
        'Run check again with --level L0|L1|L2.'),
    )
  }
  return out.sort(compareFindings)
}
