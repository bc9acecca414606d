/**
 * Every failure a user can cause or meet (bad input, hostile archive, missing permission) is a
 * NestreportError: one clear line, a stable code, and a distinct exit status so scripts can tell
 * cases apart. Anything else reaching the top is a bug and exits 1.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  checkFailed: 3,
  inputMissing: 10,
  notAnArchive: 11,
  truncated: 12,
  unsafePath: 13,
  linkEntry: 14,
  specialEntry: 15,
  duplicateEntry: 16,
  oversize: 17,
  schemaVersion: 18,
  malformed: 19,
  binaryLog: 20,
  outputExists: 21,
  outputNotWritable: 22,
} as const

export type ExitName = keyof typeof EXIT

export class NestreportError extends Error {
  readonly exitCode: number
  readonly code: string

  constructor(kind: ExitName, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'NestreportError'
    this.code = `E_${kind.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
    this.exitCode = EXIT[kind]
  }
}

export function isNestreportError(error: unknown): error is NestreportError {
  return error instanceof NestreportError
}

/** One line for a caught error, without a stack: for "not collected because ..." and warnings. */
export function describeError(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as NodeJS.ErrnoException
    if (e.code === 'ENOENT') return 'not found'
    if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied'
    if (e.code === 'EISDIR') return 'is a directory'
    if (typeof e.message === 'string') return e.message.split('\n')[0]
  }
  return String(error)
}

/**
 * An input the user named (a log, a map file) that is missing, unreadable or a directory, as the
 * one-line inputMissing error; any other error is returned as it is, for the caller to rethrow.
 */
export function inputOpenError(name: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return new NestreportError('inputMissing', `${name}: no such file`)
  if (code === 'EACCES' || code === 'EPERM') return new NestreportError('inputMissing', `${name}: permission denied`)
  if (code === 'EISDIR') return new NestreportError('inputMissing', `${name}: is a directory, not a file`)
  return error
}
