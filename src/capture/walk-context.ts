/**
 * Shared state and outcome rules of one capture walk: the concurrency limits, how a file read or a
 * command run becomes a manifest entry, and which errno or exit status means which status. The
 * item capturers (walk.ts, walk-processes.ts) all go through it, so the rules live in one place.
 */
import os from 'node:os'

import {describeError} from '../lib/errors.js'
import {type Host, SKIPPED_CODE} from './host.js'
import {commandEntryNames, fileEntryName} from './layout.js'
import type {RunResult} from './run-command.js'
import type {CommandItem, SpecItem} from './spec.js'
import type {CommandOutput, EntryStatus, ManifestEntry} from './types.js'

/** Files and outputs without their own cap: enough for /proc/cpuinfo of a very large machine. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024
const FILE_CONCURRENCY = 16
/** Commands alternate between CPU (exec, dynamic linking) and waiting: two per core keeps both busy. */
const COMMAND_CONCURRENCY = Math.max(2, os.availableParallelism() * 2)

export interface WalkOptions {
  /** Per-command timeout; also bounds each file read (a hung /sys attribute cannot stall the run). */
  timeoutSeconds: number
  onProgress?: (message: string) => void
  spec?: SpecItem[]
}

/** Runs at most `n` tasks at once. */
function createLimiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds n.
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    else active++
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}

/** Shared state of one walk; the item capturers (walk.ts, walk-processes.ts) write into it. */
export class WalkContext {
  readonly files = new Map<string, Buffer>()
  readonly commands = new Map<string, CommandOutput>()
  readonly io = createLimiter(FILE_CONCURRENCY)
  private readonly exec = createLimiter(COMMAND_CONCURRENCY)
  private readonly commandEntries = new Map<string, Promise<ManifestEntry>>()

  constructor(
    readonly host: Host,
    readonly options: WalkOptions,
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutSeconds * 1000
  }

  progress(message: string): void {
    this.options.onProgress?.(message)
  }

  /** An fs operation through the I/O limiter, bounded by the timeout. */
  fs<T>(task: () => Promise<T>): Promise<T> {
    return this.io(() => withDeadline(task(), this.timeoutMs))
  }

  async captureFile(path: string, group: string, maxBytes = DEFAULT_MAX_BYTES): Promise<ManifestEntry> {
    const started = performance.now()
    try {
      const {data, truncated} = await this.fs(() => this.host.readFile(path, maxBytes))
      this.files.set(path, data)
      const entry = fileEntry('file', path, group, 'ok', started, data.length)
      if (truncated) entry.truncated = true
      return entry
    } catch (error) {
      return failedFsEntry('file', path, group, error, started)
    }
  }

  /** A derived record (root/<path>@stat, @links, @leaves) stored beside the raw files. */
  storeDerived(kind: ManifestEntry['kind'], id: string, group: string, recordPath: string, text: string, started: number): ManifestEntry {
    const data = Buffer.from(text)
    this.files.set(recordPath, data)
    return {...fileEntry(kind, id, group, 'ok', started, data.length), stored: fileEntryName(recordPath)}
  }

  /** Start (once) a command item; fallbacks wait for the command they stand in for. */
  command(item: Pick<CommandItem, 'id' | 'argv' | 'group' | 'needsRoot' | 'fallbackFor' | 'maxBytes'>): Promise<ManifestEntry> {
    let pending = this.commandEntries.get(item.id)
    if (!pending) {
      pending = this.runCommandItem(item)
      this.commandEntries.set(item.id, pending)
    }
    return pending
  }

  private async runCommandItem(item: Pick<CommandItem, 'id' | 'argv' | 'group' | 'needsRoot' | 'fallbackFor' | 'maxBytes'>): Promise<ManifestEntry> {
    const base = {kind: 'command' as const, id: item.id, group: item.group, argv: item.argv}
    const skipped = (reason: string): ManifestEntry => ({...base, status: 'skipped', durationMs: 0, bytes: 0, reason})
    if (this.host.commandsUnavailable) return skipped(this.host.commandsUnavailable)
    if (item.needsRoot && !this.host.user.root) return skipped('needs root')
    if (item.fallbackFor) {
      const primary = this.commandEntries.get(item.fallbackFor)
      if (primary) {
        const done = await primary
        if (done.status === 'ok' && (done.bytes ?? 0) > 0) return skipped(`not needed: ${item.fallbackFor} succeeded`)
      }
    }
    const result = await this.exec(() => {
      this.progress(`running ${item.argv.join(' ')}`)
      return this.host.run(item.argv, {timeoutMs: this.timeoutMs, maxBytes: item.maxBytes ?? DEFAULT_MAX_BYTES})
    })
    const entry: ManifestEntry = {...base, ...commandOutcome(item.id, result, this.options.timeoutSeconds), durationMs: result.durationMs, bytes: result.stdout.length}
    if (result.truncated) entry.truncated = true
    if (!result.spawnError && result.exitCode !== 127) {
      this.commands.set(item.id, {stdout: result.stdout, stderr: result.stderr})
      entry.stored = commandEntryNames(item.id).out
    }
    return entry
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started)
}

function fileEntry(kind: ManifestEntry['kind'], id: string, group: string, status: EntryStatus, started: number, bytes: number): ManifestEntry {
  const entry: ManifestEntry = {kind, id, group, status, durationMs: elapsed(started), bytes}
  if (status === 'ok' && kind === 'file') entry.stored = fileEntryName(id)
  return entry
}

class DeadlineError extends Error {
  code = 'ETIMEDOUT'
}

let abandoned = 0

/**
 * File operations given up on at their deadline and still pending (a hung /sys or NFS read). Node
 * cannot cancel them and they keep the process alive, so the CLI exits explicitly when this is > 0.
 */
export function abandonedOperations(): number {
  return abandoned
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let gaveUp = false
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      gaveUp = true
      abandoned++
      reject(new DeadlineError(`no answer after ${ms / 1000}s`))
    }, ms)
  })
  const settled = () => {
    if (gaveUp) abandoned--
  }
  promise.then(settled, settled)
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** Status and reason for a failed read, from its errno. */
export function fsFailure(error: unknown): {status: EntryStatus; reason?: string} {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return {status: 'missing'}
    case 'EACCES':
    case 'EPERM':
      return {status: 'permission-denied', reason: 'permission denied (run as root for a complete report)'}
    case SKIPPED_CODE:
      return {status: 'skipped', reason: (error as Error).message}
    case 'ETIMEDOUT':
      return {status: 'timed-out', reason: `read ${describeError(error)}`}
    default:
      return {status: 'failed', reason: describeError(error)}
  }
}

/** The files a glob or the process walk found beyond its cap, as one skipped entry. */
export function overCapEntry(id: string, group: string, reason: string): ManifestEntry {
  return {kind: 'file', id, group, status: 'skipped', durationMs: 0, bytes: 0, reason}
}

export function failedFsEntry(kind: ManifestEntry['kind'], id: string, group: string, error: unknown, started: number): ManifestEntry {
  const {status, reason} = fsFailure(error)
  const entry = fileEntry(kind, id, group, status, started, 0)
  if (reason) entry.reason = reason
  return entry
}

const PERMISSION_TEXT = /operation not permitted|permission denied/i

/** How a command ended, in manifest terms. */
function commandOutcome(id: string, r: RunResult, timeoutSeconds: number): {status: EntryStatus; exitCode: number | null; reason?: string} {
  if (r.spawnError) {
    if (r.spawnError.code === 'ENOENT') return {status: 'missing', exitCode: null, reason: 'not installed'}
    if (r.spawnError.code === 'EACCES') return {status: 'permission-denied', exitCode: null, reason: 'not executable by this user'}
    return {status: 'failed', exitCode: null, reason: describeError(r.spawnError)}
  }
  if (r.timedOut) return {status: 'timed-out', exitCode: r.exitCode, reason: `timed out after ${timeoutSeconds}s (partial output kept)`}
  const firstErrorLine = r.stderr.toString('utf8').split('\n').find((l) => l.trim() !== '')?.trim()
  // 127 from a wrapper script: the program or one it runs is absent; its message says which.
  if (r.exitCode === 127) return {status: 'missing', exitCode: 127, reason: firstErrorLine ? `not installed: ${firstErrorLine}` : 'not installed'}
  if (r.exitCode === 0) return {status: 'ok', exitCode: 0}
  if (r.exitCode !== null && firstErrorLine && PERMISSION_TEXT.test(firstErrorLine)) {
    const reason =
      id === 'dmesg'
        ? 'kernel.dmesg_restrict=1: reading the kernel log needs root (CAP_SYSLOG)'
        : `permission denied: ${firstErrorLine}`
    return {status: 'permission-denied', exitCode: r.exitCode, reason}
  }
  if (r.exitCode === null) return {status: 'failed', exitCode: null, reason: `killed by ${r.signal ?? 'a signal'}`}
  return {status: 'failed', exitCode: r.exitCode, reason: firstErrorLine ?? `exit status ${r.exitCode}`}
}

/** `*` inside one path component (no leading-dot matches, like the shell). */
function componentPattern(part: string): RegExp {
  const body = part
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*')
  return new RegExp(`^${body}$`)
}

export function globMatcher(glob: string): (name: string) => boolean {
  const re = componentPattern(glob)
  return (name) => !name.startsWith('.') && re.test(name)
}

