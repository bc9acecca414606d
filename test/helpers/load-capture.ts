/**
 * Test helpers: read a capture directory (layout in src/capture/types.ts) into a Capture through
 * the same captureFromEntries the bundle reader uses, and build small in-memory captures.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {captureFromEntries} from '../../src/capture/layout.js'
import {CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION, type Capture, type CaptureManifest, type ManifestEntry} from '../../src/capture/types.js'

export const SYSROOTS_DIR = fileURLToPath(new URL('../fixtures/sysroots/', import.meta.url))

function walk(dir: string, out: string[] = []): string[] {
  for (const d of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, d.name)
    if (d.isDirectory()) walk(p, out)
    else if (d.isFile()) out.push(p)
  }
  return out
}

export function loadCaptureDir(dir: string): Capture {
  const entries = new Map<string, Buffer>()
  for (const file of walk(dir)) entries.set(relative(dir, file).split(sep).join('/'), readFileSync(file))
  return captureFromEntries(entries).capture
}

/** A fixture capture under test/fixtures/sysroots by name (pvm-l1, intel-l0, ...). */
export function loadFixtureCapture(name: string): Capture {
  return loadCaptureDir(join(SYSROOTS_DIR, name))
}

/** Fixture capture directories present now (others land as their authors commit them). */
export function fixtureCaptureNames(): string[] {
  try {
    return readdirSync(SYSROOTS_DIR, {withFileTypes: true})
      .filter((d) => d.isDirectory() && !d.name.includes('.tmp.'))
      .filter((d) => readdirSync(join(SYSROOTS_DIR, d.name)).includes('manifest.json'))
      .map((d) => d.name)
      .sort()
  } catch {
    return []
  }
}

export interface CaptureSpec {
  files?: Record<string, string>
  /** Command id -> stdout (status ok), or a full record. */
  commands?: Record<string, string | {stdout: string; status?: ManifestEntry['status']; exitCode?: number; argv?: string[]; group?: string}>
  /** Extra manifest entries (missing files, denied commands). */
  entries?: ManifestEntry[]
  manifest?: Partial<CaptureManifest>
}

/** An in-memory capture with a manifest entry for every file and command given. */
export function captureOf(spec: CaptureSpec): Capture {
  const files = new Map<string, Buffer>()
  const commands = new Map<string, {stdout: Buffer; stderr: Buffer}>()
  const entries: ManifestEntry[] = []
  for (const [path, text] of Object.entries(spec.files ?? {})) {
    files.set(path, Buffer.from(text))
    const kind = path.endsWith('@stat') ? 'stat' : path.endsWith('@links') ? 'links' : path.endsWith('@leaves') ? 'cpuid' : 'file'
    entries.push({kind, id: path.replace(/@(stat|links|leaves)$/, ''), group: 'test', status: 'ok', durationMs: 0})
  }
  for (const [id, c] of Object.entries(spec.commands ?? {})) {
    const rec = typeof c === 'string' ? {stdout: c} : c
    commands.set(id, {stdout: Buffer.from(rec.stdout), stderr: Buffer.alloc(0)})
    entries.push({kind: 'command', id, group: rec.group ?? 'test', argv: rec.argv, status: rec.status ?? 'ok', exitCode: rec.exitCode ?? 0, durationMs: 0})
  }
  const manifest: CaptureManifest = {
    format: CAPTURE_FORMAT,
    formatVersion: CAPTURE_FORMAT_VERSION,
    producer: {name: 'test', version: '0'},
    source: 'sysroot',
    startedAt: '2026-11-25T00:00:00.000Z',
    finishedAt: '2026-11-25T00:00:01.000Z',
    hostname: 'test',
    arch: 'x86_64',
    user: {uid: 0, root: true},
    timeoutSeconds: 10,
    ...spec.manifest,
    entries: [...entries, ...(spec.entries ?? []), ...(spec.manifest?.entries ?? [])],
  }
  return {manifest, files, commands}
}
