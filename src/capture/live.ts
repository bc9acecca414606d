/**
 * Capture of the machine nestreport runs on: the spec walked over the real filesystem and real
 * commands. Reads never trust a file's reported size (/proc says 0, /sys says 4096) and never
 * block on a FIFO; commands run through runCommand (timeout, process-group kill).
 */
import {constants, promises as fsp, read} from 'node:fs'
import os from 'node:os'

import type {Capture} from './types.js'
import {accessOf, currentUser, DEFAULT_SEARCH_PATH, type Host, type HostStat, statType} from './host.js'
import {buildManifest, type CaptureOptions} from './manifest.js'
import {runCommand} from './run-command.js'
import {walkSpec} from './walk.js'

const CHUNK = 64 * 1024

/**
 * Read an open file to its end, keeping the last maxBytes. A large regular file (a log) is read
 * from its tail directly; pseudo-files are read until read() returns 0, whatever stat said.
 */
export async function readOpenFile(fh: fsp.FileHandle, maxBytes: number): Promise<{data: Buffer; truncated: boolean}> {
  const chunks: Buffer[] = []
  let total = 0
  let truncated = false
  let position: number | null = null
  const first = Buffer.allocUnsafe(CHUNK)
  const {bytesRead} = await fh.read(first, 0, CHUNK, null)
  if (bytesRead === 0) return {data: Buffer.alloc(0), truncated: false}
  if (bytesRead === CHUNK) {
    // Possibly large: when it is a regular file beyond the cap, skip to its tail.
    const st = await fh.stat()
    if (st.isFile() && st.size > maxBytes) {
      position = st.size - maxBytes
      truncated = true
    }
  }
  if (position === null) {
    chunks.push(first.subarray(0, bytesRead))
    total = bytesRead
  }
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK)
    const r = await fh.read(buf, 0, CHUNK, position)
    if (r.bytesRead === 0) break
    if (position !== null) position += r.bytesRead
    chunks.push(buf.subarray(0, r.bytesRead))
    total += r.bytesRead
    // Keep memory bounded for an endless or growing file: drop whole chunks beyond the cap.
    while (chunks.length > 1 && total - chunks[0].length >= maxBytes) {
      total -= chunks.shift()!.length
      truncated = true
    }
  }
  const data = Buffer.concat(chunks, total)
  if (data.length > maxBytes) return {data: data.subarray(data.length - maxBytes), truncated: true}
  return {data, truncated}
}

function readAt(fd: number, buf: Buffer, position: bigint): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)))
  })
}

function toHostStat(s: import('node:fs').Stats): HostStat {
  return {type: statType(s.mode), mode: s.mode, uid: s.uid, gid: s.gid, rdev: s.rdev}
}

export class LiveHost implements Host {
  readonly user: Host['user']
  readonly searchPath: string[]

  constructor() {
    this.user = currentUser()
    this.searchPath = process.env.PATH?.split(':').filter((d) => d.startsWith('/')) ?? DEFAULT_SEARCH_PATH
  }

  async readFile(path: string, maxBytes: number) {
    // O_NONBLOCK: a FIFO matched by a glob must not block open() or read().
    const fh = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      return await readOpenFile(fh, maxBytes)
    } finally {
      await fh.close()
    }
  }

  async readBlocks(path: string, positions: bigint[], length: number) {
    const fh = await fsp.open(path, constants.O_RDONLY)
    try {
      const out: Array<Buffer | NodeJS.ErrnoException> = []
      for (const position of positions) {
        const buf = Buffer.alloc(length)
        try {
          // fs.read, not fh.read: Node 20's FileHandle.read ignores a bigint position and reads
          // at the current offset, which returned the wrong CPUID leaves.
          const bytesRead = await readAt(fh.fd, buf, position)
          out.push(buf.subarray(0, bytesRead))
        } catch (error) {
          out.push(error as NodeJS.ErrnoException)
        }
      }
      return out
    } finally {
      await fh.close()
    }
  }

  readdir(path: string) {
    return fsp.readdir(path)
  }

  async stat(path: string) {
    return toHostStat(await fsp.stat(path))
  }

  async access(path: string) {
    const access = await accessOf(path)
    if (!access.readable && !access.writable) await fsp.stat(path) // absent: let ENOENT through
    return access
  }

  readlink(path: string) {
    return fsp.readlink(path)
  }

  realpath(path: string) {
    return fsp.realpath(path)
  }

  run = runCommand
}

export async function captureLive(options: CaptureOptions): Promise<Capture> {
  const startedAt = new Date()
  const host = new LiveHost()
  options.onProgress?.('capturing this machine')
  const walked = await walkSpec(host, {timeoutSeconds: options.timeoutSeconds, onProgress: options.onProgress})
  const manifest = buildManifest({
    source: 'live',
    startedAt,
    hostname: os.hostname(),
    arch: os.machine(),
    user: host.user,
    options,
    entries: walked.entries,
  })
  return {manifest, files: walked.files, commands: walked.commands}
}
