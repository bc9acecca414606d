/**
 * Helpers for report/check tests: a bundle written from a capture the way `collect` writes it
 * (writeBundle), archive listing, and running an oclif command class in-process with its stdout,
 * stderr and exit code captured.
 */
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {vi} from 'vitest'

import {writeBundle} from '../../src/bundle/write.js'
import type {Capture} from '../../src/capture/types.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export async function tempDir(prefix: string): Promise<{dir: string; done: () => Promise<void>}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  return {dir, done: () => rm(dir, {recursive: true, force: true})}
}

/** `<dir>/<name>.tar.gz` holding the capture in the bundle layout. */
export function bundleOf(capture: Capture, dir: string, name: string): Promise<string> {
  return writeBundle({outputDir: dir, baseName: name, capture, extra: []})
}

export async function archiveNames(file: string): Promise<string[]> {
  const {t: list} = await import('tar')
  const names: string[] = []
  await list({file, onReadEntry: (e) => names.push(e.path)})
  return names
}

export async function archiveText(file: string, name: string): Promise<string> {
  const {t: list} = await import('tar')
  let text: string | null = null
  await list({
    file,
    onReadEntry: (e) => {
      if (e.path !== name) return e.resume()
      const chunks: Buffer[] = []
      e.on('data', (c: Buffer) => chunks.push(c))
      e.on('end', () => (text = Buffer.concat(chunks).toString('utf8')))
    },
  })
  if (text === null) throw new Error(`${name} not in ${file}`)
  return text
}

export interface CommandRun {
  stdout: string
  stderr: string
  exitCode: number
}

/** Run an oclif command class in-process (src, not a stale build) and capture what it printed. */
export async function runCommand(cmd: {run(argv: string[], opts: string): Promise<unknown>}, argv: string[]): Promise<CommandRun> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString()
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  })
  const before = process.exitCode
  process.exitCode = undefined
  try {
    await cmd.run(argv, REPO_ROOT)
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = before
  return {stdout, stderr, exitCode}
}
