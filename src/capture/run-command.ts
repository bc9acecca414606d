/**
 * Run one external command so that a broken host can never hang or kill the collector: no shell,
 * its own process group (so children it forks die with it), a hard timeout that sends SIGTERM and
 * then SIGKILL to the whole group, output capped to its tail, and a last-resort deadline after the
 * kill in case something outside the group still holds the pipes open.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'

export interface RunOptions {
  timeoutMs: number
  /** Keep at most this many bytes of stdout (the tail) and of stderr. */
  maxBytes: number
  /** Time between SIGTERM and SIGKILL of the process group. */
  graceMs?: number
}

export interface RunResult {
  stdout: Buffer
  stderr: Buffer
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  /** stdout was longer than maxBytes; only its tail is kept. */
  truncated: boolean
  /** The command could not be started (ENOENT: not installed, EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException
  durationMs: number
}

const DEFAULT_GRACE_MS = 300
/** After SIGKILL, wait this long for the pipes to close before giving up on them. */
const PIPE_DEADLINE_MS = 500

/** Collects a stream's chunks, keeping only the last `max` bytes. */
class TailBuffer {
  private chunks: Buffer[] = []
  private length = 0
  truncated = false

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.length += chunk.length
    // Compact only once twice the cap is held, so a chatty command costs amortised O(n).
    if (this.length > this.max * 2) this.compact()
  }

  private compact(): void {
    const all = Buffer.concat(this.chunks, this.length)
    const tail = all.subarray(all.length - this.max)
    this.truncated = true
    this.chunks = [tail]
    this.length = tail.length
  }

  result(): Buffer {
    if (this.length > this.max) this.compact()
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length)
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/**
 * The executable argv[0] names, looked up in PATH like execvp would; null when there is none.
 * Looking first spares a fork of this (large) process for every tool that is not installed.
 */
async function findExecutable(name: string): Promise<string | null> {
  if (name.includes('/')) return name
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue
    const candidate = `${dir}/${name}`
    try {
      await access(candidate, constants.X_OK)
      if ((await stat(candidate)).isFile()) return candidate
    } catch {
      // Not in this directory.
    }
  }
  return null
}

function notFound(name: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`spawn ${name} ENOENT`)
  error.code = 'ENOENT'
  return error
}

export async function runCommand(argv: string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now()
  const executable = await findExecutable(argv[0])
  if (executable === null) {
    const empty = Buffer.alloc(0)
    return {stdout: empty, stderr: empty, exitCode: null, signal: null, timedOut: false, truncated: false, spawnError: notFound(argv[0]), durationMs: Math.round(performance.now() - started)}
  }
  return spawnWithTimeout(executable, argv, options, started)
}

function spawnWithTimeout(executable: string, argv: string[], options: RunOptions, started: number): Promise<RunResult> {
  const stdout = new TailBuffer(options.maxBytes)
  const stderr = new TailBuffer(options.maxBytes)
  return new Promise((resolve) => {
    let settled = false
    let timedOut = false
    const timers: NodeJS.Timeout[] = []
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
      if (settled) return
      settled = true
      for (const t of timers) clearTimeout(t)
      resolve({
        stdout: stdout.result(),
        stderr: stderr.result(),
        exitCode,
        signal,
        timedOut,
        truncated: stdout.truncated,
        spawnError,
        durationMs: Math.round(performance.now() - started),
      })
    }

    // LC_ALL=C: parsers expect the untranslated output of lscpu, systemd-detect-virt, ...
    const child = spawn(executable, argv.slice(1), {
      argv0: argv[0],
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, LC_ALL: 'C', LANG: 'C'},
    })
    child.stdout.on('data', (c: Buffer) => stdout.push(c))
    child.stderr.on('data', (c: Buffer) => stderr.push(c))
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) arrive here without an exit event.
      if (child.pid === undefined) finish(null, null, error)
    })
    // 'close' waits for stdout/stderr to end as well as the process, so no output is lost.
    child.on('close', (code, signal) => finish(code, signal))

    timers.push(
      setTimeout(() => {
        timedOut = true
        killGroup(child.pid, 'SIGTERM')
        timers.push(
          setTimeout(() => {
            killGroup(child.pid, 'SIGKILL')
            timers.push(
              setTimeout(() => {
                // A process outside the group still holds the pipes: stop waiting for them.
                child.stdout.destroy()
                child.stderr.destroy()
                finish(child.exitCode, child.signalCode)
              }, PIPE_DEADLINE_MS),
            )
          }, options.graceMs ?? DEFAULT_GRACE_MS),
        )
      }, options.timeoutMs),
    )
  })
}
