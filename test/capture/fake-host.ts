/**
 * An in-memory Host for walker tests: a tree of files, directories, symlinks and injected errors,
 * and commands that either answer from a script or really run (for the timeout tests).
 */
import {posix} from 'node:path'

import {errnoError, type Host, type HostStat} from '../../src/capture/host.js'
import {type RunOptions, type RunResult, runCommand} from '../../src/capture/run-command.js'

export type FakeNode =
  | {type: 'file'; data: Buffer; mode?: number}
  | {type: 'dir'}
  | {type: 'link'; target: string}
  | {type: 'char'; rdev: number; mode: number}
  | {type: 'error'; code: string}

export type ScriptedRun = Partial<Omit<RunResult, 'stdout' | 'stderr'>> & {stdout?: string; stderr?: string}

export class FakeHost implements Host {
  readonly nodes = new Map<string, FakeNode>([['/', {type: 'dir'}]])
  readonly runs: string[][] = []
  /** Scripted answers by argv joined with spaces; anything else runs for real. */
  readonly scripted = new Map<string, ScriptedRun>()
  user = {uid: 1000, root: false}
  searchPath = ['/usr/bin']
  commandsUnavailable?: string
  cpuid?: Map<bigint, Buffer>

  constructor(tree: Record<string, string | Buffer | FakeNode> = {}) {
    for (const [path, value] of Object.entries(tree)) this.add(path, value)
  }

  add(path: string, value: string | Buffer | FakeNode): this {
    const node: FakeNode = typeof value === 'string' || Buffer.isBuffer(value) ? {type: 'file', data: Buffer.from(value)} : value
    const parts = path.split('/').filter(Boolean)
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`
      if (!this.nodes.has(dir)) this.nodes.set(dir, {type: 'dir'})
    }
    this.nodes.set(path, node)
    return this
  }

  script(argv: string, answer: ScriptedRun): this {
    this.scripted.set(argv, answer)
    return this
  }

  private lookup(path: string, follow = true, hops = 0): {path: string; node: FakeNode} {
    const node = this.nodes.get(path)
    if (!node) throw errnoError('ENOENT', path)
    if (node.type === 'error') throw errnoError(node.code, path)
    if (node.type === 'link' && follow) {
      if (hops > 10) throw errnoError('ELOOP', path)
      const target = posix.resolve(posix.dirname(path), node.target)
      return this.lookup(target, true, hops + 1)
    }
    return {path, node}
  }

  async readFile(path: string, maxBytes: number) {
    const {node} = this.lookup(path)
    if (node.type === 'dir') throw errnoError('EISDIR', path)
    if (node.type !== 'file') throw errnoError('EINVAL', path)
    const truncated = node.data.length > maxBytes
    return {data: truncated ? node.data.subarray(node.data.length - maxBytes) : node.data, truncated}
  }

  async readBlocks(path: string, positions: bigint[]) {
    this.lookup(path)
    if (!this.cpuid) throw errnoError('EIO', path)
    return positions.map((p) => this.cpuid!.get(p) ?? errnoError('EIO', `${path}@${p}`))
  }

  async readdir(path: string) {
    const {path: dir, node} = this.lookup(path)
    if (node.type !== 'dir') throw errnoError('ENOTDIR', path)
    const prefix = dir === '/' ? '/' : `${dir}/`
    return [...this.nodes.keys()].filter((p) => p.startsWith(prefix) && p !== prefix && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length))
  }

  async stat(path: string): Promise<HostStat> {
    const {node} = this.lookup(path)
    switch (node.type) {
      case 'file':
        return {type: 'file', mode: 0o100000 | (node.mode ?? 0o644), uid: 0, gid: 0, rdev: 0}
      case 'char':
        return {type: 'char', mode: 0o020000 | node.mode, uid: 0, gid: 36, rdev: node.rdev}
      default:
        return {type: 'dir', mode: 0o040755, uid: 0, gid: 0, rdev: 0}
    }
  }

  async access(path: string) {
    const {node} = this.lookup(path)
    return {readable: node.type !== 'char' || (node.mode & 0o004) !== 0, writable: node.type !== 'char' || (node.mode & 0o002) !== 0}
  }

  async readlink(path: string) {
    const {node} = this.lookup(path, false)
    if (node.type !== 'link') throw errnoError('EINVAL', path)
    return node.target
  }

  async realpath(path: string) {
    return this.lookup(path).path
  }

  async run(argv: string[], options: RunOptions): Promise<RunResult> {
    this.runs.push(argv)
    const answer = this.scripted.get(argv.join(' '))
    if (!answer) return runCommand(argv, options)
    return {
      exitCode: 0,
      signal: null,
      timedOut: false,
      truncated: false,
      durationMs: 1,
      ...answer,
      stdout: Buffer.from(answer.stdout ?? ''),
      stderr: Buffer.from(answer.stderr ?? ''),
    }
  }
}
