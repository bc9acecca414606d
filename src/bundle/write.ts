/**
 * Writing results into the output directory: the bundle (`<baseName>.tar.gz`, everything under a
 * `<baseName>/` top directory) and plain files beside it. Rules: nothing outside the output
 * directory, never overwrite (a taken name becomes `<baseName>-2`, `-3`, ...), and no half-written
 * file under a final name (write a temporary name, then hard-link it into place, which fails
 * instead of replacing an existing file).
 *
 * Every archive entry is appended from a buffer with a fixed date (the capture's start), never with
 * archiver.file(): /proc and /sys files lie about their size and crash tar-stream, symlinks would be
 * stored as links, and a fixed date makes the same capture give the same bytes.
 */
import {randomBytes} from 'node:crypto'
import {constants as fsConstants, createWriteStream, promises as fsp} from 'node:fs'
import path from 'node:path'
import {Transform, type TransformCallback} from 'node:stream'
import {createGzip} from 'node:zlib'

import {captureEntries} from '../capture/layout.js'
import type {Capture} from '../capture/types.js'
import type {LevelModel} from '../model/level.js'
import {describeError, NestreportError} from '../lib/errors.js'

export interface BundleEntry {
  name: string
  data: Buffer
}

export interface WriteBundleOptions {
  outputDir: string
  baseName: string
  capture: Capture
  /** Entries beside the capture layout: report.md, report.json. */
  extra: BundleEntry[]
}

export const BUNDLE_EXT = '.tar.gz'
/** A level bundle's report files, beside the capture layout. */
export const REPORT_MD = 'report.md'
export const REPORT_JSON = 'report.json'
const MAX_SUFFIX = 9999
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOSPC', 'EDQUOT', 'EEXIST', 'ENOENT'])
/** Filesystems without hard links answer link() with these; fall back to check-then-rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

function notWritable(outputDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code && NOT_WRITABLE.has(code)) {
    return new NestreportError('outputNotWritable', `cannot write to ${outputDir}: ${describeError(error)}`, {cause: error})
  }
  return error
}

function tempPath(outputDir: string, finalName: string): string {
  return path.join(outputDir, `.${finalName}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
}

async function exists(file: string): Promise<boolean> {
  return fsp.lstat(file).then(
    () => true,
    () => false,
  )
}

/** Give a finished temporary file its final name: `<base><ext>`, else the first free `<base>-N<ext>`. */
async function publish(tmp: string, outputDir: string, baseName: string, ext: string): Promise<string> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const target = path.join(outputDir, n === 1 ? `${baseName}${ext}` : `${baseName}-${n}${ext}`)
    try {
      await fsp.link(tmp, target)
      return target
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      if (!code || !NO_HARD_LINKS.has(code)) throw error
      if (await exists(target)) continue
      await fsp.rename(tmp, target)
      return target
    }
  }
  throw new NestreportError('outputExists', `${path.join(outputDir, baseName + ext)} and ${MAX_SUFFIX - 1} numbered variants already exist`)
}

/**
 * Create the output directory and its missing parents. Not fs.mkdir({recursive: true}): on Node 20
 * it loops forever (100% CPU) where a parent exists but refuses children with ENOENT, as /proc and
 * /sys do, so `collect -o /proc/x` would hang instead of saying it cannot write there.
 */
export async function ensureOutputDir(outputDir: string): Promise<void> {
  const dir = path.resolve(outputDir)
  try {
    await fsp.mkdir(dir)
    return
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' && (await fsp.stat(dir).catch(() => null))?.isDirectory()) return
    const parent = path.dirname(dir)
    if (code !== 'ENOENT' || parent === dir) throw notWritable(outputDir, error)
    // A missing parent: create it (once per level), then this directory, without looping.
    await ensureOutputDir(parent)
    try {
      await fsp.mkdir(dir)
    } catch (retry) {
      if ((retry as NodeJS.ErrnoException).code === 'EEXIST' && (await fsp.stat(dir).catch(() => null))?.isDirectory()) return
      throw notWritable(outputDir, retry)
    }
  }
}

/** The output directory exists (created if needed) and this user may create files in it. */
export async function ensureWritableDir(outputDir: string): Promise<void> {
  await ensureOutputDir(outputDir)
  await fsp.access(outputDir, fsConstants.W_OK | fsConstants.X_OK).catch((error: unknown) => {
    throw notWritable(outputDir, error)
  })
}

/** Write to a temporary name in outputDir, publish it under a free name, never leave the temp behind. */
async function writeExclusive(outputDir: string, baseName: string, ext: string, write: (tmp: string) => Promise<void>): Promise<string> {
  await ensureOutputDir(outputDir)
  const tmp = tempPath(outputDir, `${baseName}${ext}`)
  try {
    await write(tmp)
    return await publish(tmp, outputDir, baseName, ext)
  } catch (error) {
    throw notWritable(outputDir, error)
  } finally {
    await fsp.rm(tmp, {force: true})
  }
}

/** A small file (the .md report beside the bundle), written atomically and never over another. */
export function writeFileExclusive(options: {outputDir: string; baseName: string; ext: string; data: Buffer | string}): Promise<string> {
  return writeExclusive(options.outputDir, options.baseName, options.ext, (tmp) => fsp.writeFile(tmp, options.data, {flag: 'wx', mode: 0o644}))
}

/** The capture's start, which dates every bundle entry and names the bundle (the epoch if unreadable). */
function captureStartDate(capture: Capture): Date {
  const date = new Date(capture.manifest.startedAt)
  return Number.isNaN(date.getTime()) ? new Date(0) : date
}

/** Input handed to gzip in pieces of at least this size (the last one excepted). */
const GZIP_INPUT_BLOCK = 1024 * 1024

/**
 * Joins small chunks into blocks of GZIP_INPUT_BLOCK bytes. Each write into a zlib stream is one
 * trip through the libuv thread pool; tar emits a chunk per 512-byte header and per entry, so a
 * bundle of ~100 small files took ~30 ms of round trips to compress 200 KB (3 ms in one piece).
 */
class Coalesce extends Transform {
  private parts: Buffer[] = []
  private size = 0

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk)
    this.size += chunk.length
    if (this.size >= GZIP_INPUT_BLOCK) this.release()
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.size > 0) this.release()
    done()
  }

  private release(): void {
    this.push(Buffer.concat(this.parts, this.size))
    this.parts = []
    this.size = 0
  }
}

async function writeTarGz(tmp: string, baseName: string, entries: BundleEntry[], date: Date): Promise<void> {
  const {default: archiver} = await import('archiver')
  await new Promise<void>((resolve, rejectWrite) => {
    const out = createWriteStream(tmp, {flags: 'wx', mode: 0o644})
    // archiver's own {gzip: true} pipes tar's small chunks straight into zlib: see Coalesce.
    const archive = archiver('tar')
    const coalesce = new Coalesce()
    const gzip = createGzip()
    // Settle only once the file is closed: destroy() is asynchronous, and a stream still opening
    // its file after the caller removed the temporary name would leave that name behind.
    let failed = false
    const reject = (error: unknown) => {
      if (failed) return
      failed = true
      try {
        archive.abort()
      } catch {
        // archiver 7 throws here for an uncompressed tar: abort() stops its queues, then unpipes
        // through tar-stream 3's pack, which has no unpipe(). Stopped queues are all we need; the
        // streams after it are destroyed with the output file below.
      }
      if (out.closed) rejectWrite(error)
      else {
        out.once('close', () => rejectWrite(error))
        out.destroy()
      }
    }
    // A warning means an entry is missing from the archive: that is a failed bundle, not a note.
    archive.on('warning', reject)
    archive.on('error', reject)
    coalesce.on('error', reject)
    gzip.on('error', reject)
    out.on('error', reject)
    // The file is complete only when the output stream closes, not when finalize() resolves.
    out.on('close', () => {
      if (!failed) resolve()
    })
    archive.pipe(coalesce).pipe(gzip).pipe(out)
    for (const e of entries) archive.append(e.data, {name: `${baseName}/${e.name}`, date, mode: 0o644})
    archive.finalize().catch(reject)
  })
}

/**
 * Write `<outputDir>/<baseName>.tar.gz` (or the first free `-N` variant) holding `entries` under a
 * `<baseName>/` top directory, every entry dated `date`; returns its path.
 */
export function writeArchive(options: {outputDir: string; baseName: string; entries: BundleEntry[]; date: Date}): Promise<string> {
  return writeExclusive(options.outputDir, options.baseName, BUNDLE_EXT, (tmp) => writeTarGz(tmp, options.baseName, options.entries, options.date))
}

/** report.md and report.json of a level bundle: the rendered report and the model it was rendered from. */
export function levelReportEntries(model: LevelModel, markdown: string): BundleEntry[] {
  return [
    {name: REPORT_MD, data: Buffer.from(markdown)},
    {name: REPORT_JSON, data: Buffer.from(`${JSON.stringify(model, null, 2)}\n`)},
  ]
}

/** A level's bundle: the capture layout plus report.md/report.json, dated by the capture's start. */
export function writeBundle(options: WriteBundleOptions): Promise<string> {
  return writeArchive({
    outputDir: options.outputDir,
    baseName: options.baseName,
    entries: [...captureEntries(options.capture), ...options.extra],
    date: captureStartDate(options.capture),
  })
}

/** 20261125T160312Z: sortable, and no character a file system or shell dislikes. */
export function utcStamp(date: Date): string {
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date
  return valid.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')
}

/** Characters kept in a host name inside a file name; anything else becomes `_`. */
function fileNamePart(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '').slice(0, 64)
  return cleaned || 'unknown'
}

/** `nestreport-<effective level or Lx>-<host>-<UTC start>`, from the redacted model and capture. */
export function bundleBaseName(model: LevelModel, capture: Capture): string {
  const level = model.level.effective ?? 'Lx'
  const host = model.kernel.hostname.value ?? capture.manifest.hostname
  return `nestreport-${level}-${fileNamePart(host)}-${utcStamp(captureStartDate(capture))}`
}
