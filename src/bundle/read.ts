/**
 * Reading a bundle (or a capture-script tarball) that may come from a stranger. Entries are read
 * into memory and never extracted, so nothing can be written anywhere; every trick a hostile
 * archive can play is refused with its own exit status and a one-line message naming the entry:
 * absolute or `..` names, links, device and fifo entries, duplicates, gzip bombs and oversize
 * entries, truncation, things that are not archives, and schema versions from the future.
 */
import {createReadStream} from 'node:fs'
import {open, stat} from 'node:fs/promises'
import {basename} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {CaptureLayoutError, captureFromEntries, MANIFEST_NAME} from '../capture/layout.js'
import {type Capture, CAPTURE_FORMAT_VERSION} from '../capture/types.js'
import {NestreportError} from '../lib/errors.js'
import {COMBINED_SCHEMA} from '../model/combined.js'
import {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION, LevelModel} from '../model/level.js'
import {type BundleLimits, bundleLimits, formatBytes} from './limits.js'
import {REPORT_JSON, REPORT_MD} from './write.js'


export interface BundleContents {
  capture: Capture
  /** Present for bundles written by collect; absent for capture-script tarballs. */
  report?: {md?: string; json?: unknown}
  /** The archive's single top directory ('' when the entries sit at its root). */
  topDir: string
  /** Entries outside the capture layout and the report files, by name relative to topDir. */
  other: Map<string, Buffer>
}

export async function readBundle(file: string, limits: Partial<BundleLimits> = {}): Promise<BundleContents> {
  const {entries, topDir} = await readArchiveEntries(file, bundleLimits(limits))
  const label = basename(file)
  // report.json first: a combined report or a future bundle says so before its layout is judged.
  const json = entries.get(REPORT_JSON)
  const reportJson = json ? checkReportJson(json, label) : undefined
  let layout: ReturnType<typeof captureFromEntries>
  try {
    layout = captureFromEntries(entries)
  } catch (error) {
    if (error instanceof CaptureLayoutError) throw new NestreportError('malformed', `${label}: not a nestreport capture: ${error.message}`)
    throw error
  }
  if (nestedDeeperThan(layout.capture.manifest, MAX_JSON_DEPTH)) {
    throw new NestreportError('malformed', `${label}: ${MANIFEST_NAME} is nested more than ${MAX_JSON_DEPTH} levels deep`)
  }
  const {formatVersion} = layout.capture.manifest
  if (!Number.isInteger(formatVersion) || formatVersion < 1 || formatVersion > CAPTURE_FORMAT_VERSION) {
    throw new NestreportError(
      'schemaVersion',
      `${label}: ${MANIFEST_NAME} has capture format version ${JSON.stringify(formatVersion)}; this nestreport reads versions 1 to ${CAPTURE_FORMAT_VERSION} (a newer nestreport wrote it?)`,
    )
  }
  const other = layout.other
  const report: {md?: string; json?: unknown} = {}
  const md = other.get(REPORT_MD)
  if (md) report.md = md.toString('utf8')
  if (json) report.json = reportJson
  other.delete(REPORT_MD)
  other.delete(REPORT_JSON)
  return {capture: layout.capture, report: md || json ? report : undefined, topDir, other}
}

/** Parse report.json and refuse schemas this version cannot read; the model is validated separately. */
function checkReportJson(data: Buffer, label: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(data.toString('utf8'))
  } catch (error) {
    throw new NestreportError('malformed', `${label}: ${REPORT_JSON} is not valid JSON (${(error as Error).message})`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new NestreportError('malformed', `${label}: ${REPORT_JSON} is not a JSON object`)
  }
  if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw new NestreportError('malformed', `${label}: ${REPORT_JSON} is nested more than ${MAX_JSON_DEPTH} levels deep`)
  }
  const {schema, schemaVersion} = parsed as {schema?: unknown; schemaVersion?: unknown}
  if (schema === COMBINED_SCHEMA) {
    throw new NestreportError('schemaVersion', `${label}: is a combined report of several levels (${REPORT_JSON} schema "${COMBINED_SCHEMA}"), not one level's bundle; use the level bundles it was made from`)
  }
  if (schema !== LEVEL_SCHEMA) {
    throw new NestreportError('schemaVersion', `${label}: ${REPORT_JSON} has schema ${JSON.stringify(schema)}, expected "${LEVEL_SCHEMA}"`)
  }
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > LEVEL_SCHEMA_VERSION) {
    throw new NestreportError(
      'schemaVersion',
      `${label}: ${REPORT_JSON} has schema version ${JSON.stringify(schemaVersion)}; this nestreport reads versions 1 to ${LEVEL_SCHEMA_VERSION} (a newer nestreport wrote it?)`,
    )
  }
  return parsed
}

/**
 * Our JSON is a few levels deep. JSON.parse accepts a million nested arrays, but every recursive
 * walk after it (redaction, JSON.stringify) would overflow the stack: refuse such input up front.
 */
const MAX_JSON_DEPTH = 64

function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth >= max) return true
    for (const child of Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}

/** The level model of a bundle's report.json, validated; a bundle that fails is malformed. */
export function levelModelFromReport(json: unknown, label: string): LevelModel {
  const result = LevelModel.safeParse(json)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new NestreportError('malformed', `${label}: ${REPORT_JSON} does not match the level model (${issue.path.join('.') || '(root)'}: ${issue.message})`)
  }
  return result.data
}

const GZIP_MAGIC = [0x1f, 0x8b]
const OTHER_FORMATS: Array<{magic: number[]; name: string}> = [
  {magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz'},
  {magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd'},
  {magic: [0x42, 0x5a, 0x68], name: 'bzip2'},
  {magic: [0x50, 0x4b, 0x03, 0x04], name: 'zip'},
]

const startsWith = (buf: Buffer, magic: number[]) => buf.length >= magic.length && magic.every((b, i) => buf[i] === b)

/** A 512-byte ustar/GNU header block whose checksum adds up. */
function looksLikeTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false
  const stored = Number.parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8)
  if (Number.isNaN(stored)) return false
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]
  return sum === stored
}

const quote = (name: string) => JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name)

interface ArchiveEntries {
  entries: Map<string, Buffer>
  topDir: string
}

/**
 * Every regular file of a (gzipped) tar, by name relative to the single top directory. Refuses
 * the archive at the first hostile entry; counts bytes as they stream so a bomb stops early.
 */
async function readArchiveEntries(file: string, limits: BundleLimits): Promise<ArchiveEntries> {
  const label = basename(file)
  const fail = (kind: ConstructorParameters<typeof NestreportError>[0], message: string) => new NestreportError(kind, `${label}: ${message}`)

  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NestreportError('inputMissing', `${file}: no such file`)
    if (error.code === 'EACCES' || error.code === 'EPERM') throw new NestreportError('inputMissing', `${file}: permission denied`)
    throw error
  })
  if (info.isDirectory()) throw fail('notAnArchive', 'is a directory, not a .tar.gz bundle')
  if (!info.isFile()) throw fail('notAnArchive', 'is not a regular file')
  if (info.size === 0) throw fail('notAnArchive', 'is empty, not a .tar.gz bundle')

  const head = Buffer.alloc(512)
  const fh = await open(file, 'r')
  let headLength: number
  try {
    headLength = (await fh.read(head, 0, 512, 0)).bytesRead
  } finally {
    await fh.close()
  }
  const first = head.subarray(0, headLength)
  const gzipped = startsWith(first, GZIP_MAGIC)
  if (!gzipped) {
    const known = OTHER_FORMATS.find((f) => startsWith(first, f.magic))
    if (known) throw fail('notAnArchive', `is a ${known.name} file; nestreport bundles are .tar.gz`)
    if (!looksLikeTarHeader(first)) throw fail('notAnArchive', 'is not a gzip or tar archive')
  }

  const tar = await import('tar')
  const files = new Map<string, Buffer>()
  const seen = new Set<string>()
  let failure: NestreportError | undefined
  let entryCount = 0
  let sawEntry = false
  let sawEof = false
  let lastName = ''

  const setFailure = (error: NestreportError) => {
    failure ??= error
  }

  const parser = new tar.Parser({strict: true, zstd: false, brotli: false})
  parser.on('error', (error: Error & {tarCode?: string}) => {
    if (failure) return
    const message = error.message.replace(/^TAR_[A-Z_]+: /, '')
    if (error.tarCode === 'TAR_BAD_ARCHIVE' && /truncated/i.test(message)) setFailure(fail('truncated', `archive ends in the middle of entry ${quote(lastName)}`))
    else if (!sawEntry) setFailure(fail('notAnArchive', `is not a tar archive (${message})`))
    else setFailure(fail('malformed', `corrupt tar data after entry ${quote(lastName)} (${message})`))
  })
  parser.on('eof', () => {
    sawEof = true
  })
  parser.on('entry', (entry: import('tar').ReadEntry) => {
    sawEntry = true
    lastName = entry.path
    if (failure) {
      entry.resume()
      return
    }
    const problem = checkEntry(entry, ++entryCount, limits)
    if (problem) {
      setFailure(fail(problem.kind, problem.message))
      entry.resume()
      parser.abort(problem)
      return
    }
    const name = normaliseName(entry.path)
    if (name === '') {
      // "./": the archive root itself, as `tar -C dir .` writes it.
      entry.resume()
      return
    }
    if (seen.has(name)) {
      setFailure(fail('duplicateEntry', `entry ${quote(entry.path)} appears twice`))
      entry.resume()
      parser.abort(new Error('duplicate'))
      return
    }
    seen.add(name)
    if (entry.type === 'Directory') {
      entry.resume()
      return
    }
    const chunks: Buffer[] = []
    let bytes = 0
    entry.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > limits.maxEntryBytes) {
        setFailure(fail('oversize', `entry ${quote(entry.path)} is larger than ${formatBytes(limits.maxEntryBytes)}`))
        return
      }
      chunks.push(chunk)
    })
    entry.on('end', () => {
      if (!failure) files.set(name, Buffer.concat(chunks))
    })
  })

  let total = 0
  let firstChunk = true
  const sink = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      if (firstChunk && gzipped && startsWith(chunk, GZIP_MAGIC)) setFailure(fail('notAnArchive', 'holds gzip inside gzip, not a tar archive'))
      firstChunk = false
      total += chunk.length
      if (total > limits.maxTotalBytes) {
        setFailure(fail('oversize', `uncompresses to more than ${formatBytes(limits.maxTotalBytes)} (a gzip bomb, or not a nestreport bundle)`))
      }
      if (failure) throw failure
      parser.write(chunk)
      if (failure) throw failure
    }
    parser.end()
    if (failure) throw failure
  }

  try {
    if (gzipped) await pipeline(createReadStream(file), createGunzip(), sink)
    else await pipeline(createReadStream(file), sink)
  } catch (error) {
    // pipeline() may report the sink's throw as an AbortError; the recorded failure is the reason.
    if (failure) throw failure
    if (error instanceof NestreportError) throw error
    const e = error as NodeJS.ErrnoException
    if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) throw fail('truncated', 'gzip data ends early (truncated download or copy?)')
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) throw fail('notAnArchive', `corrupt gzip data (${e.message})`)
    throw error
  }
  if (!sawEof) throw fail('truncated', `tar data ends without its end-of-archive marker after entry ${quote(lastName)}`)
  return {entries: stripTopDir(files, seen, label), topDir: topDirOf(seen, label)}
}

type EntryProblem = Error & {kind: 'unsafePath' | 'linkEntry' | 'specialEntry' | 'oversize'}

function problem(kind: EntryProblem['kind'], message: string): EntryProblem {
  return Object.assign(new Error(message), {kind})
}

function checkEntry(entry: import('tar').ReadEntry, count: number, limits: BundleLimits): EntryProblem | undefined {
  const path = entry.path
  if (count > limits.maxEntries) return problem('oversize', `has more than ${limits.maxEntries} entries`)
  if (path.length > limits.maxNameLength) return problem('oversize', `entry name longer than ${limits.maxNameLength} characters`)
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return problem('unsafePath', `entry ${quote(path)} has an absolute path`)
  // Tabs and even newlines are legal in Linux file names and captures keep them (messages quote
  // names as JSON strings); a backslash would be a separator where the bundle gets unpacked on Windows.
  if (path.includes('\\') || path.includes('\0')) return problem('unsafePath', `entry ${quote(path)} has a backslash or NUL in its name`)
  if (path.split('/').includes('..')) return problem('unsafePath', `entry ${quote(path)} climbs out of the bundle with ".."`)
  if (normaliseName(path) === '' && entry.type !== 'Directory') return problem('unsafePath', `entry ${quote(path)} has an empty name`)
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      break
    case 'Directory':
      return undefined
    case 'SymbolicLink':
      return problem('linkEntry', `entry ${quote(path)} is a symbolic link (to ${quote(entry.linkpath ?? '')}); bundles hold only regular files`)
    case 'Link':
      return problem('linkEntry', `entry ${quote(path)} is a hard link (to ${quote(entry.linkpath ?? '')}); bundles hold only regular files`)
    default:
      return problem('specialEntry', `entry ${quote(path)} is a ${describeType(entry.type)}; bundles hold only regular files`)
  }
  if (entry.size > limits.maxEntryBytes) {
    return problem('oversize', `entry ${quote(path)} declares ${formatBytes(entry.size)}, more than the ${formatBytes(limits.maxEntryBytes)} limit`)
  }
  return undefined
}

function describeType(type: string): string {
  switch (type) {
    case 'CharacterDevice':
      return 'character device'
    case 'BlockDevice':
      return 'block device'
    case 'FIFO':
      return 'fifo'
    default:
      return `special entry (tar type ${type})`
  }
}

/** "./a//b/" -> "a/b": names compare equal however the archiver spelled them. */
function normaliseName(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/')
}

const ROOT_FILES = new Set([MANIFEST_NAME, REPORT_MD, REPORT_JSON])

/**
 * '' when the capture sits at the archive root (manifest.json at the top), else the one directory
 * every entry is under; anything else is refused, because a second tree could disguise itself as
 * part of the capture.
 */
function topDirOf(names: Set<string>, label: string): string {
  const all = [...names]
  if (all.some((n) => ROOT_FILES.has(n))) return ''
  const tops = new Set(all.map((n) => n.split('/')[0]))
  if (tops.size !== 1) {
    const shown = [...tops].slice(0, 3).map((t) => `${t}/`)
    throw new NestreportError('malformed', `${label}: entries are not under one top directory (found ${shown.join(', ')}${tops.size > 3 ? ', ...' : ''})`)
  }
  return [...tops][0]
}

function stripTopDir(files: Map<string, Buffer>, names: Set<string>, label: string): Map<string, Buffer> {
  const top = topDirOf(names, label)
  if (top === '') return files
  const out = new Map<string, Buffer>()
  for (const [name, data] of files) {
    if (name === top) throw new NestreportError('malformed', `${label}: top-level entry ${quote(name)} is a file, not a directory`)
    out.set(name.slice(top.length + 1), data)
  }
  return out
}
