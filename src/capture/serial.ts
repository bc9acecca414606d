/**
 * A capture that crossed a serial console: the script's `-b` output (base64 between two marker
 * lines) inside whatever else the console printed (kernel messages, CR line ends, ANSI colours).
 * The result is the .tar.gz the script built, checked end to end (gzip CRC and length) so a
 * damaged or cut-off transfer is reported instead of half-read.
 */
import {randomBytes} from 'node:crypto'
import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {DEFAULT_BUNDLE_LIMITS, formatBytes} from '../bundle/limits.js'
import {isNestreportError, NestreportError} from '../lib/errors.js'
import {SERIAL_BEGIN, SERIAL_END} from './script/archive.js'

// CSI/OSC escape sequences a terminal or console may put around lines.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/

function cleanLine(line: string): string {
  return line.replace(ANSI, '').replaceAll('\r', '').trim()
}

/**
 * The encoder's lines: all as wide as the first one (base64 wraps at a fixed width), except a
 * shorter last one. A stray word that happens to be base64 ("Terminated") is noise by its width.
 */
function base64Lines(block: string[]): string[] {
  const candidates = block.filter((l) => BASE64_LINE.test(l))
  if (candidates.length === 0) return []
  const width = Math.max(...candidates.slice(0, 2).map((l) => l.length))
  const full = candidates.filter((l) => l.length === width)
  // The short last line is the candidate right after the last full-width one.
  const lastFull = candidates.findLastIndex((l) => l.length === width)
  const tail = candidates[lastFull + 1]
  return tail !== undefined && tail.length < width ? [...full, tail] : full
}

/**
 * The archive carried by a serial log: the block after the last begin line (a console log may
 * hold several runs). Lines inside the block that are not base64 are console noise and skipped;
 * a kernel message spliced into a base64 line damages it, and the gzip check says so.
 */
export function extractSerialCapture(text: string, maxUnpackedBytes = DEFAULT_BUNDLE_LIMITS.maxTotalBytes): Buffer {
  const lines = text.split('\n').map(cleanLine)
  const begins = lines.flatMap((l, i) => (l.endsWith(SERIAL_BEGIN) ? [i] : []))
  if (begins.length === 0) {
    throw new NestreportError('malformed', `no "${SERIAL_BEGIN}" line: this log holds no nestreport capture (run the script with -b)`)
  }
  // The most recent run is the one wanted; an earlier complete one would silently be stale.
  const begin = begins.at(-1)!
  const end = lines.findIndex((l, i) => i > begin && l.endsWith(SERIAL_END))
  if (end === -1) {
    throw new NestreportError('truncated', `the capture in this log is cut off: no "${SERIAL_END}" line after the last "${SERIAL_BEGIN}"`)
  }
  const payload = base64Lines(lines.slice(begin + 1, end))
  const joined = payload.join('')
  if (joined.length === 0 || joined.length % 4 !== 0) {
    throw new NestreportError('truncated', `the capture in this log is damaged: ${joined.length} base64 characters, not a whole number of 4-character groups`)
  }
  const archive = Buffer.from(joined, 'base64')
  try {
    gunzipSync(archive, {maxOutputLength: maxUnpackedBytes})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new NestreportError('oversize', `the capture in this log unpacks to more than ${formatBytes(maxUnpackedBytes)}; not a capture this tool wrote`)
    }
    throw new NestreportError('truncated', `the capture in this log is damaged or incomplete (${(error as Error).message}); capture again with a quieter console (loglevel=1)`)
  }
  return archive
}

/** A capture's top directory as the script names it; anything else gets a neutral name. */
const CAPTURE_NAME = /^nestreport-[A-Za-z0-9._-]{1,200}$/

/**
 * Decode a serial log and write the archive into outputDir as <its top directory>.tar.gz (a
 * taken name gets -2, -3, ...). The archive is first checked by the bundle reader, the same one
 * `report` uses, so a file is only published when `report` will accept it.
 */
export async function writeSerialCapture(text: string, options: {outputDir: string; source: string}): Promise<{written: string; topDir: string; bytes: number}> {
  const archive = extractSerialCapture(text)
  const [{readBundle}, {BUNDLE_EXT, ensureOutputDir, utcStamp, writeFileExclusive}] = await Promise.all([import('../bundle/read.js'), import('../bundle/write.js')])
  await ensureOutputDir(options.outputDir)
  const checkName = `.serial-capture.${process.pid}-${randomBytes(4).toString('hex')}.tar.gz`
  const check = path.join(options.outputDir, checkName)
  let topDir: string
  try {
    await fsp.writeFile(check, archive, {flag: 'wx', mode: 0o600})
    topDir = (await readBundle(check)).topDir
  } catch (error) {
    // Name the log, not the temporary file, in the reader's one-line message.
    if (isNestreportError(error)) error.message = error.message.replace(checkName, `the capture in ${options.source}`)
    const code = (error as NodeJS.ErrnoException).code
    if (!isNestreportError(error) && code) throw new NestreportError('outputNotWritable', `cannot write to ${options.outputDir}: ${code}`, {cause: error})
    throw error
  } finally {
    await fsp.rm(check, {force: true})
  }
  const baseName = CAPTURE_NAME.test(topDir) ? topDir : `nestreport-serial-${utcStamp(new Date())}`
  const written = await writeFileExclusive({outputDir: options.outputDir, baseName, ext: BUNDLE_EXT, data: archive})
  return {written, topDir, bytes: archive.length}
}
