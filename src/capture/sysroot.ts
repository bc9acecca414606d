/**
 * `collect --sysroot DIR`: capture from a directory instead of the live machine. Two shapes:
 *
 * - a capture directory (DIR/manifest.json exists: an extracted bundle or script capture), loaded
 *   as it is, so a bundle can be re-parsed by a later nestreport;
 * - a plain root filesystem (a container's /host, a fixture of a real machine), walked with the
 *   same spec as a live run. Paths resolve as if DIR were `/` (absolute symlinks stay inside it,
 *   `..` stops at it), so nothing outside DIR is ever read; commands are not run.
 */
import {type Dirent, constants, promises as fsp} from 'node:fs'
import path from 'node:path'

import {type BundleLimits, bundleLimits, formatBytes} from '../bundle/limits.js'
import {describeError, NestreportError} from '../lib/errors.js'
import {accessOf, currentUser, DEFAULT_SEARCH_PATH, errnoError, type Host, type HostStat, skippedError, statType} from './host.js'
import {CaptureLayoutError, captureFromEntries, MANIFEST_NAME} from './layout.js'
import {readOpenFile} from './live.js'
import {buildManifest, type CaptureOptions} from './manifest.js'
import type {RunResult} from './run-command.js'
import type {Capture} from './types.js'
import {sysrootArch} from './sysroot-arch.js'
import {walkSpec} from './walk.js'

const MAX_LINK_HOPS = 40
const OFFLINE_REASON = 'offline sysroot: commands are not run'

/**
 * Host path for an absolute path inside `root`, resolving symlinks the way a chroot would: an
 * absolute target restarts at root, `..` never climbs above it. `followLast` false resolves only
 * the parent (for readlink).
 */
export async function resolveInRoot(root: string, absPath: string, followLast = true): Promise<string> {
  const pending = absPath.split('/').filter(Boolean)
  const resolved: string[] = []
  let hops = 0
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === '.') continue
    if (part === '..') {
      resolved.pop()
      continue
    }
    const candidate = path.join(root, ...resolved, part)
    const st = await fsp.lstat(candidate)
    if (st.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++hops > MAX_LINK_HOPS) throw errnoError('ELOOP', `too many symbolic links resolving ${absPath}`)
      const target = await fsp.readlink(candidate)
      if (target.startsWith('/')) resolved.length = 0
      pending.unshift(...target.split('/').filter(Boolean))
      continue
    }
    resolved.push(part)
  }
  return path.join(root, ...resolved)
}

export class SysrootHost implements Host {
  readonly user: Host['user']
  readonly searchPath = DEFAULT_SEARCH_PATH
  readonly commandsUnavailable = OFFLINE_REASON

  constructor(readonly root: string) {
    this.user = currentUser()
  }

  /** A regular file of the root, resolved inside it and opened; anything else is refused. */
  private async withRegularFile<T>(file: string, read: (fh: fsp.FileHandle) => Promise<T>): Promise<T> {
    const real = await resolveInRoot(this.root, file)
    // O_NOFOLLOW: the resolved path has no links left; one appearing now is refused, not followed.
    const fh = await fsp.open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    try {
      const st = await fh.stat()
      if (st.isDirectory()) throw errnoError('EISDIR', file)
      if (!st.isFile()) throw skippedError('offline sysroot: only regular files are read')
      return await read(fh)
    } finally {
      await fh.close()
    }
  }

  readFile(file: string, maxBytes: number) {
    return this.withRegularFile(file, (fh) => readOpenFile(fh, maxBytes))
  }

  /** The first `length` bytes of a regular file (an ELF header). */
  readHead(file: string, length: number): Promise<Buffer> {
    return this.withRegularFile(file, async (fh) => {
      const buffer = Buffer.alloc(length)
      const {bytesRead} = await fh.read(buffer, 0, length, 0)
      return buffer.subarray(0, bytesRead)
    })
  }

  async readBlocks(): Promise<Array<Buffer | NodeJS.ErrnoException>> {
    throw skippedError('offline sysroot: device nodes are not read')
  }

  async readdir(dir: string) {
    return fsp.readdir(await resolveInRoot(this.root, dir))
  }

  async stat(file: string): Promise<HostStat> {
    const s = await fsp.lstat(await resolveInRoot(this.root, file))
    return {type: statType(s.mode), mode: s.mode, uid: s.uid, gid: s.gid, rdev: s.rdev}
  }

  async access(file: string) {
    return accessOf(await resolveInRoot(this.root, file))
  }

  async readlink(file: string) {
    return fsp.readlink(await resolveInRoot(this.root, file, false))
  }

  async realpath(file: string) {
    const real = await resolveInRoot(this.root, file)
    return `/${path.relative(this.root, real).split(path.sep).join('/')}`
  }

  run(): Promise<RunResult> {
    return Promise.reject(new Error(OFFLINE_REASON))
  }
}

async function sysrootHostname(host: SysrootHost, files: Map<string, Buffer>): Promise<string> {
  const fromProc = files.get('/proc/sys/kernel/hostname')?.toString('utf8').trim()
  if (fromProc) return fromProc
  try {
    const {data} = await host.readFile('/etc/hostname', 4096)
    return data.toString('utf8').trim() || 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * Every regular file under dir (relative POSIX names); links and special files are left out. A
 * capture directory may come from someone else (an extracted bundle) just like an archive, so the
 * archive reader's limits apply: an entry over maxEntryBytes, a total over maxTotalBytes or more
 * than maxEntries files is refused before it is read into memory.
 */
async function readCaptureDir(dir: string, onSkipped: (name: string) => void, limits: BundleLimits): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  let total = 0
  let count = 0
  const visit = async (rel: string): Promise<void> => {
    const entries: Dirent[] = await fsp.readdir(path.join(dir, rel), {withFileTypes: true})
    for (const e of entries) {
      const name = rel ? `${rel}/${e.name}` : e.name
      if (++count > limits.maxEntries) throw new NestreportError('oversize', `${dir} has more than ${limits.maxEntries} entries: not a capture directory`)
      if (e.isDirectory()) await visit(name)
      else if (e.isFile()) {
        const fh = await fsp.open(path.join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
        try {
          const st = await fh.stat()
          if (!st.isFile()) {
            onSkipped(name)
            continue
          }
          if (st.size > limits.maxEntryBytes) throw new NestreportError('oversize', `${path.join(dir, name)} is larger than ${formatBytes(limits.maxEntryBytes)}`)
          total += st.size
          if (total > limits.maxTotalBytes) throw new NestreportError('oversize', `${dir} holds more than ${formatBytes(limits.maxTotalBytes)}: not a capture directory`)
          out.set(name, await fh.readFile())
        } finally {
          await fh.close()
        }
      } else onSkipped(name)
    }
  }
  await visit('')
  return out
}

async function loadCaptureDir(dir: string, options: CaptureOptions, limits: BundleLimits): Promise<Capture> {
  let entries: Map<string, Buffer>
  try {
    entries = await readCaptureDir(dir, (name) => options.onProgress?.(`ignored ${name}: not a regular file`), limits)
  } catch (error) {
    if (error instanceof NestreportError) throw error
    throw new NestreportError('inputMissing', `cannot read capture directory ${dir}: ${describeError(error)}`, {cause: error})
  }
  let capture: Capture
  try {
    capture = captureFromEntries(entries).capture
  } catch (error) {
    if (error instanceof CaptureLayoutError) throw new NestreportError('malformed', `${dir}: ${error.message}`, {cause: error})
    throw error
  }
  return applyRunOptions(capture, options)
}

/** Options given now describe this run's intent (a label, a corrected level): they win. */
function applyRunOptions(capture: Capture, options: CaptureOptions): Capture {
  if (options.label !== undefined) capture.manifest.label = options.label
  if (options.levelOverride !== undefined) capture.manifest.levelOverride = options.levelOverride
  return capture
}

/**
 * A bundle or a capture-script archive given as --sysroot: read it in memory through the
 * hostile-input-safe reader (nothing is extracted), so the analysis is the same code path as report.
 */
async function loadCaptureArchive(file: string, options: CaptureOptions, limits: Partial<BundleLimits>): Promise<Capture> {
  options.onProgress?.(`reading capture archive ${file}`)
  const {readBundle} = await import('../bundle/read.js')
  const {capture} = await readBundle(file, limits)
  return applyRunOptions(capture, options)
}

export async function captureFromSysroot(dir: string, options: CaptureOptions, limits: Partial<BundleLimits> = {}): Promise<Capture> {
  if ((await fsp.stat(dir).catch(() => null))?.isFile()) return loadCaptureArchive(dir, options, limits)
  let root: string
  try {
    root = await fsp.realpath(dir)
    if (!(await fsp.stat(root)).isDirectory()) throw errnoError('ENOTDIR', dir)
    await fsp.access(root, constants.R_OK | constants.X_OK)
  } catch (error) {
    throw new NestreportError('inputMissing', `sysroot ${dir}: ${describeError(error)}`, {cause: error})
  }
  const manifestStat = await fsp.lstat(path.join(root, MANIFEST_NAME)).catch(() => null)
  if (manifestStat?.isFile()) {
    options.onProgress?.(`loading capture directory ${dir}`)
    return loadCaptureDir(root, options, bundleLimits(limits))
  }
  const startedAt = new Date()
  const host = new SysrootHost(root)
  options.onProgress?.(`capturing sysroot ${dir}`)
  const walked = await walkSpec(host, {timeoutSeconds: options.timeoutSeconds, onProgress: options.onProgress})
  const manifest = buildManifest({
    source: 'sysroot',
    startedAt,
    hostname: await sysrootHostname(host, walked.files),
    arch: await sysrootArch((file, length) => host.readHead(file, length), walked.files),
    user: host.user,
    options,
    entries: walked.entries,
  })
  return {manifest, files: walked.files, commands: walked.commands}
}
