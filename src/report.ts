/**
 * `nestreport report` as a library: read each level's bundle, rebuild every LevelModel from its
 * capture (one code path for collect bundles and capture-script tarballs, which carry no
 * report.json), combine them into one nested-setup model, render it, and write one combined
 * archive plus the rendered report beside it into the output directory.
 *
 * The archive `nestreport-setup-<UTC>.tar.gz` holds, under one top directory, report.md,
 * report.txt and report.json, and each level's capture under L0/, L1/, L2/ in the capture layout
 * (so the report's links such as L1/commands/dmesg.out#L42 resolve once it is unpacked).
 * Secrets are removed from every level again (capture-script tarballs were never redacted), and
 * --redact replaces identities with one pseudonym map for all levels, so links between levels
 * (a QEMU -name and the guest's host name) survive. A bundle that cannot be read does not lose the
 * others: the report is written from the readable ones with a BUNDLE_UNREADABLE finding, and the
 * caller exits with that bundle's status.
 */
import path from 'node:path'

import {combineLevels, type CombineInput, parseLevelCorrections} from './analyse/combine.js'
import {evidence, finding} from './analyse/findings/common.js'
import {captureEntries} from './capture/layout.js'
import {type BundleEntry, utcStamp, writeArchive, writeFileExclusive} from './bundle/write.js'
import {TOOL_NAME, toolVersion} from './capture/manifest.js'
import type {Capture} from './capture/types.js'
import {isNestreportError, NestreportError} from './lib/errors.js'
import {type CombinedModel, compareFindings} from './model/combined.js'
import type {CombinedFormat} from './render/combined.js'

export interface BuildCombinedReportOptions {
  bundles: string[]
  outputDir: string
  /** Raw --level values: FILE=L1 or #N=L1. */
  levelCorrections?: string[]
  format?: CombinedFormat
  /** A user's handlebars template (--template), rendered against the combined view model. */
  template?: string
  /** --redact: also replace host names, addresses and user names, consistently across the levels. */
  redact?: boolean
  /** --redact-map FILE: pseudonym map loaded before and saved after (shared with collect --redact-map). */
  redactMap?: string
  /** Fixed time for reproducible output (tests); defaults to now. */
  now?: Date
}

export interface RejectedBundle {
  bundle: string
  code: string
  exitCode: number
  message: string
}

export interface CombinedReportResult {
  model: CombinedModel
  reportPath: string
  archivePath: string
  rendered: string
  /** Bundles that could not be read; the report was made from the others. */
  rejected: RejectedBundle[]
}

export async function buildCombinedReport(options: BuildCombinedReportOptions): Promise<CombinedReportResult> {
  const format = options.format ?? 'md'
  const now = options.now ?? new Date()
  if (options.bundles.length === 0) throw new NestreportError('usage', 'no bundles given: pass the bundle collected at each level (L0, L1, L2)')
  const corrections = parseLevelCorrections(options.levelCorrections ?? [], options.bundles)

  const [{readBundle}, {buildLevelModel}, {redactLevels}] = await Promise.all([import('./bundle/read.js'), import('./parse/index.js'), import('./redact/index.js')])
  const read: CombineInput[] = []
  const rejected: RejectedBundle[] = []
  let firstError: NestreportError | undefined
  for (const [index, file] of options.bundles.entries()) {
    try {
      const {capture} = await readBundle(file)
      read.push({model: buildLevelModel(capture, {toolVersion: toolVersion()}), capture, bundleName: path.basename(file), levelOverride: corrections.get(index), position: index + 1})
    } catch (error) {
      if (!isNestreportError(error)) throw error
      const combinedHint = /^nestreport-setup-/.test(path.basename(file)) ? ' (a combined archive from `nestreport report`: give the level bundles it was made from)' : ''
      rejected.push({bundle: file, code: error.code, exitCode: error.exitCode, message: `${error.message}${combinedHint}`})
      firstError ??= error
    }
  }
  if (read.length === 0) {
    // Keep the first bundle's own exit status (not an archive, truncated, ...), with every reason.
    firstError!.message = rejected.length === 1 ? rejected[0].message : `no bundle could be read: ${rejected.map((r) => r.message).join('; ')}`
    throw firstError
  }

  // Secrets always go, even from bundles collect already cleaned: capture-script tarballs never
  // passed through redaction. With --redact, every level's names seed one map for the whole setup.
  const redactMap = options.redactMap ? path.resolve(options.redactMap) : undefined
  const inputs: CombineInput[] = await redactLevels(
    read.map((r) => ({...r, capture: r.capture!})),
    {identity: Boolean(options.redact || redactMap), mapFile: redactMap},
  )
  const combined = combineLevels(inputs, {now, tool: {name: TOOL_NAME, version: toolVersion()}})
  const model = rejected.length === 0 ? combined : withRejected(combined, rejected)

  const {COMBINED_REPORT_NAMES, renderCombinedReport} = await import('./render/combined.js')
  const rendered = renderCombinedReport(model, format, options.template ? path.resolve(options.template) : undefined)
  const baseName = `nestreport-setup-${utcStamp(now)}`
  // The archive holds every built-in format; the one just rendered is not rendered again.
  const builtIn: CombinedFormat[] = ['md', 'text', 'json']
  const entries: BundleEntry[] = builtIn.map((f) => ({
    name: COMBINED_REPORT_NAMES[f],
    data: Buffer.from(f === format && !options.template ? rendered : renderCombinedReport(model, f)),
  }))
  const captureAt = new Map(inputs.map((i) => [i.position!, i.capture!]))
  for (const level of model.levels) entries.push(...levelEntries(level.archiveDir, captureAt.get(level.position)!))

  const archivePath = await writeArchive({outputDir: options.outputDir, baseName, entries, date: now})
  const publishedBase = path.basename(archivePath, '.tar.gz')
  const reportExt = options.template ? path.extname(options.template.replace(/\.hbs$/, '')) || '.txt' : path.extname(COMBINED_REPORT_NAMES[format])
  const reportPath = await writeFileExclusive({outputDir: options.outputDir, baseName: publishedBase, ext: reportExt, data: rendered})
  return {model, reportPath, archivePath, rendered, rejected}
}

function levelEntries(dir: string, capture: Capture): BundleEntry[] {
  return captureEntries(capture).map((e) => ({name: `${dir}/${e.name}`, data: e.data}))
}

function withRejected(model: CombinedModel, rejected: RejectedBundle[]): CombinedModel {
  const extra = rejected.map((r) =>
    finding('BUNDLE_UNREADABLE', 'fail', `Bundle ${path.basename(r.bundle)} could not be read`, [], [evidence(null, r.bundle, r.message)],
      'Collect that level again (nestreport collect, or the capture script), or check the file was copied completely; the report was made from the other bundles.'),
  )
  return {...model, findings: [...model.findings, ...extra].sort(compareFindings)}
}
