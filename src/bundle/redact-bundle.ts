/**
 * `nestreport redact BUNDLE`: read a bundle from anyone (hostile-safe, in memory), redact it like
 * collect does (secrets always, identity unless turned off), re-render its report from the
 * redacted model, and write `<name>-redacted.tar.gz` beside nothing else. The output name is built
 * from the redacted model, so it does not repeat a host name the input's file name may carry.
 */
import {basename} from 'node:path'

import type {LevelModel} from '../model/level.js'
import {levelModelFromReport, readBundle} from './read.js'

export interface RedactBundleOptions {
  input: string
  outputDir: string
  identity: boolean
  mapFile?: string
}

export interface RedactBundleResult {
  input: string
  bundle: string
  identityRedacted: boolean
  secretsRemoved: Array<{where: string; what: string}>
  map: string | null
}

export async function redactBundle(options: RedactBundleOptions): Promise<RedactBundleResult> {
  // Everything that can fail on bad input happens before anything is written.
  const bundle = await readBundle(options.input)
  const label = basename(options.input)
  let model: LevelModel
  if (bundle.report?.json === undefined) {
    // A capture-script tarball carries no report: analyse it as `report` would.
    const {buildLevelModel} = await import('../parse/index.js')
    model = buildLevelModel(bundle.capture)
  } else {
    model = levelModelFromReport(bundle.report.json, label)
  }
  const [{redactCapture}, {renderLevelReport}, {bundleBaseName, levelReportEntries, writeBundle}] = await Promise.all([
    import('../redact/index.js'),
    import('../render/level.js'),
    import('./write.js'),
  ])
  const redacted = await redactCapture(bundle.capture, model, {identity: options.identity, mapFile: options.mapFile, others: bundle.other})
  const extra = [...levelReportEntries(redacted.model, renderLevelReport(redacted.model, 'md')), ...[...redacted.others].map(([name, data]) => ({name, data}))]
  const path = await writeBundle({
    outputDir: options.outputDir,
    baseName: `${bundleBaseName(redacted.model, redacted.capture)}-redacted`,
    capture: redacted.capture,
    extra,
  })
  return {
    input: options.input,
    bundle: path,
    identityRedacted: redacted.model.redaction?.identityRedacted ?? false,
    secretsRemoved: redacted.model.redaction?.secretsRemoved ?? [],
    map: options.mapFile ?? null,
  }
}
