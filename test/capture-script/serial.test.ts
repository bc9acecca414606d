// Decoding a capture that crossed a serial console: noise around and between the base64 lines,
// CR line ends and colour codes are tolerated; cut-off and damaged transfers are refused clearly.
import {randomBytes} from 'node:crypto'
import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {SERIAL_BEGIN, SERIAL_END} from '../../src/capture/script.js'
import {extractSerialCapture} from '../../src/capture/serial.js'
import {EXIT, NestreportError} from '../../src/lib/errors.js'

/** What `base64` prints for an archive: 76-column lines. */
function encode(archive: Buffer): string[] {
  return archive.toString('base64').match(/.{1,76}/g)!
}

const archive = gzipSync(randomBytes(3000))
const lines = encode(archive)

function thrown(fn: () => unknown): NestreportError {
  try {
    fn()
  } catch (error) {
    if (error instanceof NestreportError) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('extractSerialCapture', () => {
  it('returns the archive from a clean block', () => {
    expect(extractSerialCapture(['', SERIAL_BEGIN, ...lines, SERIAL_END, ''].join('\n'))).toEqual(archive)
  })

  it('ignores console noise: CR line ends, colours, kernel lines, a stray base64-looking word', () => {
    const noisy = [
      '[    0.000000] Linux version 6.1.0-56-amd64',
      '\u001B[32mBooting\u001B[0m',
      `${SERIAL_BEGIN}\r`,
      ...lines.slice(0, 3).map((l) => `${l}\r`),
      '[    2.345678] random: crng init done',
      'Terminated',
      ...lines.slice(3).map((l) => `\u001B[0m${l}\r`),
      `[    2.5] noise before the marker ${SERIAL_END}\r`,
      '[    3.000000] reboot: Power down',
    ].join('\n')
    expect(extractSerialCapture(noisy)).toEqual(archive)
  })

  it('takes the most recent run when the log holds several', () => {
    const newer = gzipSync(randomBytes(500))
    const log = [SERIAL_BEGIN, ...lines, SERIAL_END, 'rebooting', SERIAL_BEGIN, ...encode(newer), SERIAL_END].join('\n')
    expect(extractSerialCapture(log)).toEqual(newer)
  })

  it('refuses a log without a capture', () => {
    const error = thrown(() => extractSerialCapture('[    0.0] Linux version\nlogin:\n'))
    expect(error.exitCode).toBe(EXIT.malformed)
    expect(error.message).toMatch(/holds no nestreport capture/)
  })

  it('refuses a cut-off transfer: no end line, or the last lines lost', () => {
    const noEnd = thrown(() => extractSerialCapture([SERIAL_BEGIN, ...lines].join('\n')))
    expect(noEnd.exitCode).toBe(EXIT.truncated)
    expect(noEnd.message).toMatch(/cut off/)
    // An older complete run does not stand in for a cut-off newer one.
    const rerun = thrown(() => extractSerialCapture([SERIAL_BEGIN, ...lines, SERIAL_END, SERIAL_BEGIN, ...lines.slice(0, 5)].join('\n')))
    expect(rerun.exitCode).toBe(EXIT.truncated)
    const lost = thrown(() => extractSerialCapture([SERIAL_BEGIN, ...lines.slice(0, -4), SERIAL_END].join('\n')))
    expect(lost.exitCode).toBe(EXIT.truncated)
  })

  it('refuses a damaged transfer: a kernel message spliced into a line, or a flipped character', () => {
    const spliced = [...lines]
    spliced[5] = `${spliced[5].slice(0, 30)}[ 3.1] x${spliced[5].slice(30)}`
    expect(thrown(() => extractSerialCapture([SERIAL_BEGIN, ...spliced, SERIAL_END].join('\n'))).exitCode).toBe(EXIT.truncated)
    const flipped = [...lines]
    flipped[10] = `${flipped[10].slice(0, 20)}${flipped[10][20] === 'A' ? 'B' : 'A'}${flipped[10].slice(21)}`
    const error = thrown(() => extractSerialCapture([SERIAL_BEGIN, ...flipped, SERIAL_END].join('\n')))
    expect(error.exitCode).toBe(EXIT.truncated)
    expect(error.message).toMatch(/damaged/)
  })

  it('refuses a gzip bomb instead of unpacking it', () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024))
    const error = thrown(() => extractSerialCapture([SERIAL_BEGIN, ...encode(bomb), SERIAL_END].join('\n'), 1024 * 1024))
    expect(error.exitCode).toBe(EXIT.oversize)
  })
})
