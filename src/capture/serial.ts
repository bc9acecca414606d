/**
 * A capture that crossed a serial console: the script's `-b` output (base64 between two marker
 * lines) inside whatever else the console printed (kernel messages, CR line ends, ANSI colours).
 * The result is the .tar.gz the script built, checked end to end (gzip CRC and length) so a
 * damaged or cut-off transfer is reported instead of half-read.
 */
import {gunzipSync} from 'node:zlib'

import {NestreportError} from '../lib/errors.js'
import {SERIAL_BEGIN, SERIAL_END} from './script-runtime.js'

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
 * The archive carried by a serial log. The last complete begin..end block wins (a console log may
 * hold several runs). Lines inside the block that are not base64 are console noise and skipped;
 * a kernel message spliced into a base64 line damages it, and the gzip check says so.
 */
export function extractSerialCapture(text: string): Buffer {
  const lines = text.split('\n').map(cleanLine)
  const begins = lines.flatMap((l, i) => (l.endsWith(SERIAL_BEGIN) ? [i] : []))
  if (begins.length === 0) {
    throw new NestreportError('malformed', `no "${SERIAL_BEGIN}" line: this log holds no nestreport capture (run the script with -b)`)
  }
  let payload: string[] | null = null
  for (const begin of begins.reverse()) {
    const end = lines.findIndex((l, i) => i > begin && l.endsWith(SERIAL_END))
    if (end === -1) continue
    payload = base64Lines(lines.slice(begin + 1, end))
    break
  }
  if (payload === null) {
    throw new NestreportError('truncated', `the capture in this log is cut off: no "${SERIAL_END}" line after "${SERIAL_BEGIN}"`)
  }
  const joined = payload.join('')
  if (joined.length === 0 || joined.length % 4 !== 0) {
    throw new NestreportError('truncated', `the capture in this log is damaged: ${joined.length} base64 characters, not a whole number of 4-character groups`)
  }
  const archive = Buffer.from(joined, 'base64')
  try {
    gunzipSync(archive)
  } catch (error) {
    throw new NestreportError('truncated', `the capture in this log is damaged or incomplete (${(error as Error).message}); capture again with a quieter console (loglevel=1)`)
  }
  return archive
}
