/**
 * `nestreport collect`: capture one level (live, or a --sysroot directory), parse it into the level
 * model, redact, render the report, and write `nestreport-<level>-<host>-<UTC>.tar.gz` plus the
 * same report as a .md file beside it. Everything written goes into the output directory, under
 * names that never replace an existing file.
 */
import path from 'node:path'

import {ensureWritableDir} from './bundle/write.js'
import {captureLive} from './capture/live.js'
import {type CaptureOptions, toolVersion} from './capture/manifest.js'
import type {LevelModel} from './model/level.js'

export type LevelChoice = 'auto' | 'L0' | 'L1' | 'L2'

export interface CollectOptions {
  outputDir: string
  level: LevelChoice
  /** Read this directory (a root filesystem or an extracted capture) instead of the live machine. */
  sysroot?: string
  label?: string
  /** Per-command timeout, seconds. */
  timeoutSeconds: number
  /** Also replace identities (host names, addresses, user names); secrets are always removed. */
  redact?: boolean
  /** Pseudonym map kept across runs, so the L0, L1 and L2 bundles use the same names. */
  redactMap?: string
  onProgress?: (message: string) => void
}

export interface CollectResult {
  model: LevelModel
  bundlePath: string
  reportPath: string
}

/**
 * The stages after capture, imported while the capture runs: their modules (archiver alone is
 * ~80 ms) cost ~150 ms of CPU. Measured: loading them after the capture, or in small steps
 * between its I/O, gives the same wall time on 2 cores: the main thread is the bottleneck either
 * way. zod and the handlebars compiler stay out of this path (bench/collect.js).
 */
function loadLaterStages() {
  return Promise.all([import('./parse/index.js'), import('./redact/index.js'), import('./render/level.js'), import('./bundle/write.js'), import('archiver')])
}

export async function collect(options: CollectOptions): Promise<CollectResult> {
  const captureOptions: CaptureOptions = {
    timeoutSeconds: options.timeoutSeconds,
    label: options.label,
    levelOverride: options.level === 'auto' ? undefined : options.level,
    onProgress: options.onProgress,
  }
  // Fail before capturing, not after: a capture that cannot be written is lost work.
  await ensureWritableDir(options.outputDir)
  // Capture first: its commands are spawned before the module loading below takes the main thread.
  const {sysroot} = options
  const capturing =
    sysroot === undefined ? captureLive(captureOptions) : import('./capture/sysroot.js').then(({captureFromSysroot}) => captureFromSysroot(sysroot, captureOptions))
  const stages = loadLaterStages()
  // Should the capture fail, the import promise must not end as an unhandled rejection.
  stages.catch(() => {})
  const raw = await capturing
  const [{buildLevelModel}, {redactCapture}, {renderLevelReport}, {BUNDLE_EXT, bundleBaseName, levelReportEntries, writeBundle, writeFileExclusive}] = await stages

  options.onProgress?.('analysing')
  const parsed = buildLevelModel(raw, {toolVersion: toolVersion()})
  const {capture, model} = await redactCapture(raw, parsed, {identity: options.redact ?? false, mapFile: options.redactMap})
  const report = renderLevelReport(model, 'md')

  options.onProgress?.('writing the bundle')
  const bundlePath = await writeBundle({
    outputDir: options.outputDir,
    baseName: bundleBaseName(model, capture),
    capture,
    extra: levelReportEntries(model, report),
  })
  // The .md shares the bundle's final name (including a -N suffix), so the pair is obvious.
  const reportPath = await writeFileExclusive({outputDir: options.outputDir, baseName: path.basename(bundlePath, BUNDLE_EXT), ext: '.md', data: report})
  return {model, bundlePath, reportPath}
}
