/**
 * Turning bytes or text into lines for the scanner, in constant memory: a streaming UTF-8 decoder
 * (invalid sequences become U+FFFD instead of failing), `\n` splitting with `\r\n` handled by the
 * normaliser, and overlong lines cut at MAX_LINE while the rest of them is skipped.
 */
import {MAX_LINE} from './scanner.js'

const DECODE_SLICE = 64 * 1024
// eslint-disable-next-line no-control-regex
const DIRTY_RE = /[\x00-\x08\x0b-\x1f\x7f]/

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', {fatal: false})
  private partial = ''
  private skipping = false

  /** `onLine(line, clean)`: clean = the line is known to hold no control character or escape. */
  constructor(private readonly onLine: (line: string, clean: boolean) => void) {}

  pushBytes(chunk: Uint8Array): void {
    // Decode in 64 KiB slices: big decoded strings are slow to split and are freed late (they live
    // outside the V8 heap), which made RSS grow with 1 MiB read chunks.
    for (let i = 0; i < chunk.length; i += DECODE_SLICE) {
      this.pushText(this.decoder.decode(chunk.subarray(i, Math.min(i + DECODE_SLICE, chunk.length)), {stream: true}))
    }
  }

  pushText(text: string): void {
    // One test per chunk instead of one per line: most chunks hold no control characters at all.
    const clean = !DIRTY_RE.test(text)
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl < 0) break
      let line: string
      let lineClean = clean
      if (this.skipping) {
        line = this.partial
        this.partial = ''
        this.skipping = false
        lineClean = false
      } else if (this.partial.length > 0) {
        line = this.partial + text.slice(start, nl)
        this.partial = ''
        lineClean = false
      } else {
        line = text.slice(start, nl)
      }
      this.onLine(line, lineClean)
      start = nl + 1
    }
    if (start < text.length) {
      if (this.skipping) return
      this.partial += text.slice(start)
      if (this.partial.length > MAX_LINE) {
        // Keep the head of an overlong line; drop the rest up to its newline.
        this.partial = this.partial.slice(0, MAX_LINE)
        this.skipping = true
      }
    }
  }

  end(): void {
    const tail = this.decoder.decode()
    if (tail) this.pushText(tail)
    if (this.partial.length > 0) {
      this.onLine(this.partial, false)
      this.partial = ''
    }
  }
}

/**
 * Heuristic for "this is not a text log": in the first 64 KiB, a share above 10 % of NUL bytes, of
 * other control bytes (not tab/CR/LF/ESC/FF), or of bytes that are not valid UTF-8 (compressed or
 * random data is about half such bytes; a log with some mojibake is not), or above 15 % of all
 * three together. A few NULs (a console glitch, a truncated journal write) and a few invalid bytes
 * are tolerated and replaced by the normaliser.
 */
export function looksBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 64 * 1024)
  if (n === 0) return false
  let nul = 0
  let ctrl = 0
  let invalid = 0
  for (let i = 0; i < n; ) {
    const b = buf[i]
    if (b < 0x80) {
      if (b === 0) nul++
      else if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b && b !== 0x0c) || b === 0x7f) ctrl++
      i++
      continue
    }
    const length = utf8SequenceLength(buf, i, n)
    if (length === 0) {
      invalid++
      i++
    } else i += length
  }
  return nul / n > 0.1 || ctrl / n > 0.1 || invalid / n > 0.1 || (nul + ctrl + invalid) / n > 0.15
}

/** Length of the valid UTF-8 sequence starting at buf[i] (a lead byte >= 0x80), 0 when invalid. */
function utf8SequenceLength(buf: Uint8Array, i: number, n: number): number {
  const b = buf[i]
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
  if (length === 0) return 0
  // A sequence cut by the end of the sample is not evidence either way.
  if (i + length > n) return n - i
  for (let k = 1; k < length; k++) if ((buf[i + k] & 0xc0) !== 0x80) return 0
  return length
}
