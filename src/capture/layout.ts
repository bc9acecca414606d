/**
 * Mapping between an in-memory Capture and the entries of a capture directory or archive
 * (layout documented in types.ts). The bundle writer, the directory loader and the archive reader
 * all go through these two functions, so the layout is defined once.
 */
import {type Capture, CAPTURE_FORMAT, type CaptureManifest, type CommandOutput} from './types.js'

export const MANIFEST_NAME = 'manifest.json'
const ROOT_DIR = 'root'
const COMMANDS_DIR = 'commands'
/** commands/<id>.out or .err, as commandEntryNames() makes them. */
const COMMAND_ENTRY = new RegExp(`^${COMMANDS_DIR}/([^/]+)\\.(out|err)$`)

/** Entry name (relative, no top directory) for a captured file's absolute path. */
export function fileEntryName(absPath: string): string {
  return `${ROOT_DIR}${absPath.startsWith('/') ? '' : '/'}${absPath}`
}

export function commandEntryNames(id: string): {out: string; err: string} {
  return {out: `${COMMANDS_DIR}/${id}.out`, err: `${COMMANDS_DIR}/${id}.err`}
}

/** Every entry of a capture, in a stable order: manifest, files by path, commands by id. */
export function captureEntries(capture: Capture): Array<{name: string; data: Buffer}> {
  const entries: Array<{name: string; data: Buffer}> = [
    {name: MANIFEST_NAME, data: Buffer.from(`${JSON.stringify(capture.manifest, null, 2)}\n`)},
  ]
  for (const path of [...capture.files.keys()].sort()) {
    entries.push({name: fileEntryName(path), data: capture.files.get(path)!})
  }
  for (const id of [...capture.commands.keys()].sort()) {
    const out = capture.commands.get(id)!
    const names = commandEntryNames(id)
    entries.push({name: names.out, data: out.stdout})
    if (out.stderr.length > 0) entries.push({name: names.err, data: out.stderr})
  }
  return entries
}

export class CaptureLayoutError extends Error {}

/**
 * Rebuild a Capture from entries (names relative to the capture's top directory). Entries outside
 * the layout (report.md, report.json, unknown names) are returned in `other` untouched.
 * Throws CaptureLayoutError when the manifest is missing or not a capture manifest; the caller
 * turns that into the user-facing error.
 */
export function captureFromEntries(entries: Map<string, Buffer>): {capture: Capture; other: Map<string, Buffer>} {
  const manifestBuf = entries.get(MANIFEST_NAME)
  if (!manifestBuf) throw new CaptureLayoutError(`no ${MANIFEST_NAME}`)
  let manifest: CaptureManifest
  try {
    manifest = JSON.parse(manifestBuf.toString('utf8')) as CaptureManifest
  } catch (error) {
    throw new CaptureLayoutError(`${MANIFEST_NAME} is not valid JSON (${(error as Error).message})`)
  }
  if (!manifest || typeof manifest !== 'object' || manifest.format !== CAPTURE_FORMAT || !Array.isArray(manifest.entries)) {
    throw new CaptureLayoutError(`${MANIFEST_NAME} is not a nestreport capture manifest`)
  }
  const files = new Map<string, Buffer>()
  const commands = new Map<string, CommandOutput>()
  const other = new Map<string, Buffer>()
  for (const [name, data] of entries) {
    if (name === MANIFEST_NAME) continue
    if (name.startsWith(`${ROOT_DIR}/`)) {
      files.set(name.slice(ROOT_DIR.length), data)
      continue
    }
    const cmd = COMMAND_ENTRY.exec(name)
    if (cmd) {
      const current = commands.get(cmd[1]) ?? {stdout: Buffer.alloc(0), stderr: Buffer.alloc(0)}
      if (cmd[2] === 'out') current.stdout = data
      else current.stderr = data
      commands.set(cmd[1], current)
      continue
    }
    other.set(name, data)
  }
  return {capture: {manifest, files, commands}, other}
}
