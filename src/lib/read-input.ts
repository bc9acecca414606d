/**
 * Opening a log or text file a user points a command at (`oops FILE`, `redact`, `report`): one clear
 * line for a missing, unreadable, binary or enormous file instead of a stack trace or an analysis
 * of garbage. The size is checked before reading, so a multi-GB file costs nothing.
 */
import {open} from 'node:fs/promises'

import {looksBinary} from '../analyse/kernel-log/index.js'
import {formatBytes} from '../bundle/limits.js'
import {inputOpenError, NestreportError} from './errors.js'

export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024

export interface ReadTextOptions {
  maxBytes?: number
  /** Refuse files that look binary (default true). */
  rejectBinary?: boolean
}

export async function readTextInput(path: string, options: ReadTextOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw inputOpenError(path, error)
  })
  try {
    const info = await handle.stat()
    // open() succeeds on a directory: only the read would fail.
    if (info.isDirectory()) throw new NestreportError('inputMissing', `${path}: is a directory, not a file`)
    // Pipes and /proc files report size 0: read them, but stop at the cap.
    if (info.isFile() && info.size > maxBytes) {
      throw new NestreportError('oversize', `${path}: ${formatBytes(info.size)} is more than the ${formatBytes(maxBytes)} this command reads`)
    }
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.alloc(64 * 1024)
      const {bytesRead} = await handle.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > maxBytes) throw new NestreportError('oversize', `${path}: more than the ${formatBytes(maxBytes)} this command reads`)
      chunks.push(buf.subarray(0, bytesRead))
    }
    const data = Buffer.concat(chunks)
    if ((options.rejectBinary ?? true) && looksBinary(data)) {
      throw new NestreportError('binaryLog', `${path}: looks like a binary file, not a text log (a journal file? use journalctl -k to export it)`)
    }
    return data.toString('utf8')
  } finally {
    await handle.close()
  }
}
