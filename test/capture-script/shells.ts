/**
 * Running the generated capture script under real shells, each with a PATH of only the tools that
 * shell's world has: busybox sh with busybox applets (a minimal guest), dash with coreutils. A
 * shell that is not installed is reported once, with how to get it, and its tests are skipped.
 */
import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {renderCaptureScript, type CaptureScriptOptions} from '../../src/capture/script.js'

/** What the script calls, for the dash world (busybox provides all of these as applets). */
const SCRIPT_TOOLS = [
  'base64', 'cat', 'date', 'dd', 'gzip', 'head', 'id', 'ln', 'ls', 'mkdir', 'mktemp', 'mv', 'od', 'readlink',
  'rm', 'sleep', 'sort', 'stat', 'tail', 'tar', 'timeout', 'tr', 'uname', 'wc',
]

export interface Shell {
  name: 'dash' | 'busybox'
  /** argv prefix that runs a script file. */
  argv: string[]
  /** A directory of tool links; `without` drops some (timeout: exercise the watchdog). */
  toolDir(without?: string[]): string
}

function which(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'}).trim() || null
  } catch {
    return null
  }
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'nestreport-shells-'))
// Traversable by the unprivileged user some tests run the script as.
chmodSync(scratch, 0o755)

function linkDir(name: string, links: Array<[string, string]>): string {
  const dir = path.join(scratch, name)
  if (existsSync(dir)) return dir
  mkdirSync(dir, {recursive: true, mode: 0o755})
  for (const [tool, target] of links) symlinkSync(target, path.join(dir, tool))
  return dir
}

function makeShells(): {shells: Shell[]; missing: string[]} {
  const shells: Shell[] = []
  const missing: string[] = []
  const dash = which('dash')
  if (dash) {
    shells.push({
      name: 'dash',
      argv: [dash],
      toolDir: (without = []) => {
        const tools = SCRIPT_TOOLS.filter((t) => !without.includes(t)).flatMap((t): Array<[string, string]> => {
          const p = which(t)
          return p ? [[t, p]] : []
        })
        return linkDir(`dash-${without.join('-') || 'all'}`, tools)
      },
    })
  } else missing.push('dash (apt-get install dash)')
  const busybox = which('busybox')
  if (busybox) {
    const applets = execFileSync(busybox, ['--list'], {encoding: 'utf8'}).split('\n').filter(Boolean)
    shells.push({
      name: 'busybox',
      argv: [busybox, 'sh'],
      toolDir: (without = []) =>
        linkDir(
          `busybox-${without.join('-') || 'all'}`,
          applets.filter((a) => !without.includes(a)).map((a): [string, string] => [a, busybox]),
        ),
    })
  } else missing.push('busybox (apt-get install busybox-static)')
  return {shells, missing}
}

export const {shells: SHELLS, missing: MISSING_SHELLS} = makeShells()
if (MISSING_SHELLS.length > 0) console.warn(`capture-script tests: skipping shells not installed here: ${MISSING_SHELLS.join(', ')}`)

export function writeScript(dir: string, options: CaptureScriptOptions = {}): string {
  const file = path.join(dir, 'capture.sh')
  writeFileSync(file, renderCaptureScript({producerVersion: 'test', ...options}), {mode: 0o644})
  return file
}

export interface ScriptRun {
  status: number | null
  stdout: Buffer
  stderr: string
  ms: number
}

export interface RunOptions {
  /** Extra directories in front of the tool dir (fake commands). */
  pathPrefix?: string[]
  without?: string[]
  /** Run as this uid/gid through setpriv (tests of a non-root capture while running as root). */
  asUser?: {uid: number; gid: number}
  cwd?: string
}

/** Runs `shell capture.sh ARGS` with a minimal environment; resolves when it exits. */
export function runScript(shell: Shell, script: string, args: string[], options: RunOptions = {}): Promise<ScriptRun> {
  const PATH = [...(options.pathPrefix ?? []), shell.toolDir(options.without)].join(':')
  let argv = [...shell.argv, script, ...args]
  if (options.asUser) {
    const setpriv = which('setpriv')
    if (!setpriv) throw new Error('setpriv is needed to drop privileges')
    argv = [setpriv, `--reuid=${options.asUser.uid}`, `--regid=${options.asUser.gid}`, '--clear-groups', ...argv]
  }
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {env: {PATH, HOME: '/', TMPDIR: os.tmpdir()}, cwd: options.cwd ?? '/', stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (status) =>
      resolve({status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started}),
    )
  })
}

/** The single archive a `-o DIR` run left in DIR. */
export function archiveIn(dir: string): string {
  const archives = readdirSync(dir).filter((n) => n.endsWith('.tar.gz'))
  if (archives.length !== 1) throw new Error(`expected one archive in ${dir}, found ${archives.join(', ') || 'none'}`)
  return path.join(dir, archives[0])
}
