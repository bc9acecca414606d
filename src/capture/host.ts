/**
 * What the capture walker needs from a machine. Two implementations: LiveHost (this machine, in
 * live.ts) and SysrootHost (a directory shaped like a root filesystem, in sysroot.ts); tests use an
 * in-memory one. Errors are thrown as Node errno errors (code ENOENT, EACCES, ...) so the walker
 * maps them to manifest statuses in one place.
 */
import {constants, promises as fsp} from 'node:fs'

import type {RunOptions, RunResult} from './run-command.js'

export interface HostStat {
  type: 'file' | 'dir' | 'char' | 'block' | 'other'
  /** Full st_mode. */
  mode: number
  uid: number
  gid: number
  /** st_rdev, Linux encoding. */
  rdev: number
}

export interface Host {
  readonly user: {uid: number; root: boolean}
  /** Directories searched for binaries by the versions item, in order. */
  readonly searchPath: string[]
  /** Set when commands cannot run here (offline sysroot): the reason recorded for each. */
  readonly commandsUnavailable?: string
  /**
   * A whole file into memory (symlinks followed; never streamed by its reported size, which lies
   * for /proc and /sys). Longer than maxBytes: only the last maxBytes are returned.
   */
  readFile(path: string, maxBytes: number): Promise<{data: Buffer; truncated: boolean}>
  /** `length` bytes at each position of one file (the cpuid driver); one result per position. */
  readBlocks(path: string, positions: bigint[], length: number): Promise<Array<Buffer | NodeJS.ErrnoException>>
  readdir(path: string): Promise<string[]>
  /** stat() following symlinks. */
  stat(path: string): Promise<HostStat>
  /** Whether the capturing user could open the path for reading / writing. */
  access(path: string): Promise<{readable: boolean; writable: boolean}>
  readlink(path: string): Promise<string>
  realpath(path: string): Promise<string>
  run(argv: string[], options: RunOptions): Promise<RunResult>
}

/** Binary directories searched when no PATH says otherwise (the usual FHS order). */
export const DEFAULT_SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

/** The user nestreport runs as: what both hosts record as manifest.user. */
export function currentUser(): Host['user'] {
  const uid = process.getuid?.() ?? -1
  return {uid, root: uid === 0}
}

/** Whether this process may open a (real, resolved) path for reading and for writing. */
export async function accessOf(realPath: string): Promise<{readable: boolean; writable: boolean}> {
  const can = (mode: number) =>
    fsp.access(realPath, mode).then(
      () => true,
      () => false,
    )
  const [readable, writable] = await Promise.all([can(constants.R_OK), can(constants.W_OK)])
  return {readable, writable}
}

export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}`)
  error.code = code
  return error
}

/** Code of an error that means "deliberately not attempted"; its message is the reason. */
export const SKIPPED_CODE = 'ESKIPPED'

export function skippedError(reason: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(reason)
  error.code = SKIPPED_CODE
  return error
}

/** HostStat type from a st_mode value (S_IFMT bits). */
export function statType(mode: number): HostStat['type'] {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file'
    case 0o040000:
      return 'dir'
    case 0o020000:
      return 'char'
    case 0o060000:
      return 'block'
    default:
      return 'other'
  }
}
