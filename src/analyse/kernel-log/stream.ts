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
 * Heuristic for "this is not a text log": in the first 64 KiB, a NUL share above 10 % or a share
 * of other control bytes (not tab/CR/LF/ESC/FF) above 10 %. A few NULs (a console glitch, a
 * truncated journal write) are tolerated and stripped by the normaliser.
 */
export function looksBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 64 * 1024)
  if (n === 0) return false
  let nul = 0
  let ctrl = 0
  for (let i = 0; i < n; i++) {
    const b = buf[i]
    if (b === 0) nul++
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x1b && b !== 0x0c) ctrl++
    else if (b === 0x7f) ctrl++
  }
  return nul / n > 0.1 || ctrl / n > 0.1 || (nul + ctrl) / n > 0.15
}
