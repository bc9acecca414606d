/**
 * The manifest header every capture producer writes (live, sysroot): who made it, when, where,
 * as whom, and the options in force. Entries come from the walker.
 */
import {readFileSync} from 'node:fs'

import {CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION, type CaptureManifest, type ManifestEntry} from './types.js'

export const TOOL_NAME = 'nestreport'

let cachedVersion: string | undefined

/** nestreport's own version, from package.json (two levels above both src/capture and dist/capture). */
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version?: string}
      cachedVersion = pkg.version ?? 'unknown'
    } catch {
      cachedVersion = 'unknown'
    }
  }
  return cachedVersion
}

export interface CaptureOptions {
  timeoutSeconds: number
  label?: string
  /** L0 | L1 | L2 given by the user; absent for automatic detection. */
  levelOverride?: string
  onProgress?: (message: string) => void
}

export function buildManifest(fields: {
  source: CaptureManifest['source']
  startedAt: Date
  hostname: string
  arch: string
  user: CaptureManifest['user']
  options: CaptureOptions
  entries: ManifestEntry[]
}): CaptureManifest {
  const manifest: CaptureManifest = {
    format: CAPTURE_FORMAT,
    formatVersion: CAPTURE_FORMAT_VERSION,
    producer: {name: TOOL_NAME, version: toolVersion()},
    source: fields.source,
    startedAt: fields.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    hostname: fields.hostname,
    arch: fields.arch,
    user: fields.user,
    timeoutSeconds: fields.options.timeoutSeconds,
    entries: fields.entries,
  }
  if (fields.options.label !== undefined) manifest.label = fields.options.label
  if (fields.options.levelOverride !== undefined) manifest.levelOverride = fields.options.levelOverride
  return manifest
}
