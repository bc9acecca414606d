/**
 * The two spec items that discover what to capture on the machine itself: running QEMU processes
 * (from /proc) and installed QEMU binaries (from PATH). Both end up as ordinary file, links and
 * command entries, so the parser reads them like any other capture.
 */
import type {BinaryVersionsItem, ProcessScanItem} from './spec.js'
import type {ManifestEntry} from './types.js'
import {failedFsEntry, globMatcher, overCapEntry, type WalkContext} from './walk-context.js'

const DELETED_SUFFIX = ' (deleted)'

/** The last component of a host path (host paths are POSIX whatever Node runs on). */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Basename of an exe link target or argv[0]; a replaced binary reads "/usr/bin/x (deleted)". */
function exeBasename(path: string): string {
  const clean = path.endsWith(DELETED_SUFFIX) ? path.slice(0, -DELETED_SUFFIX.length) : path
  return baseName(clean)
}

/**
 * The executable of a process: the exe link, or argv[0] when the link is unreadable (other users'
 * processes when not root). Null when the process is gone or is a kernel thread.
 */
async function processExe(ctx: WalkContext, pid: string): Promise<string | null> {
  try {
    return await ctx.fs(() => ctx.host.readlink(`/proc/${pid}/exe`))
  } catch {
    try {
      const {data} = await ctx.fs(() => ctx.host.readFile(`/proc/${pid}/cmdline`, 64 * 1024))
      const argv0 = data.toString('utf8').split('\0')[0]
      return argv0 || null
    } catch {
      return null
    }
  }
}

const byNumber = (a: string, b: string) => Number(a) - Number(b)

/** `name -> target` lines of a directory of symlinks, sorted by name (numerically for fds). */
async function captureLinks(ctx: WalkContext, dir: string, names: string[] | null, group: string): Promise<ManifestEntry> {
  const started = performance.now()
  try {
    const listed = names ?? (await ctx.fs(() => ctx.host.readdir(dir))).sort(byNumber)
    const targets = await Promise.all(listed.map((n) => ctx.fs(() => ctx.host.readlink(`${dir}/${n}`)).catch(() => null)))
    const lines = listed.flatMap((n, i) => (targets[i] === null ? [] : [`${n} -> ${targets[i]}`]))
    if (names && lines.length === 0) throw Object.assign(new Error('link unreadable'), {code: 'EACCES'})
    return ctx.storeDerived('links', dir, group, `${dir}@links`, lines.length > 0 ? `${lines.join('\n')}\n` : '', started)
  } catch (error) {
    return failedFsEntry('links', dir, group, error, started)
  }
}

async function captureProcess(ctx: WalkContext, pid: string, group: string): Promise<ManifestEntry[]> {
  const dir = `/proc/${pid}`
  const files = ['cmdline', 'comm', 'status'].map((f) => ctx.captureFile(`${dir}/${f}`, group))
  const exe = captureLinks(ctx, dir, ['exe'], group)
  const fds = captureLinks(ctx, `${dir}/fd`, null, group)
  let threads: ManifestEntry[]
  const started = performance.now()
  try {
    const tids = (await ctx.fs(() => ctx.host.readdir(`${dir}/task`))).sort(byNumber)
    threads = await Promise.all(tids.map((tid) => ctx.captureFile(`${dir}/task/${tid}/comm`, group)))
  } catch (error) {
    threads = [failedFsEntry('file', `${dir}/task`, group, error, started)]
  }
  return [...(await Promise.all(files)), await exe, await fds, ...threads]
}

export async function captureProcesses(ctx: WalkContext, item: ProcessScanItem): Promise<ManifestEntry[]> {
  const started = performance.now()
  let pids: string[]
  try {
    pids = (await ctx.fs(() => ctx.host.readdir('/proc'))).filter((n) => /^\d+$/.test(n)).sort(byNumber)
  } catch (error) {
    return [{...failedFsEntry('file', '/proc', item.group, error, started), reason: 'cannot list /proc: running QEMU processes not captured'}]
  }
  const exes = await Promise.all(pids.map((pid) => processExe(ctx, pid)))
  const matching = pids.filter((_, i) => {
    const exe = exes[i]
    return exe !== null && item.exeNames.test(exeBasename(exe))
  })
  const kept = matching.slice(0, item.maxProcesses)
  if (kept.length > 0) ctx.progress(`capturing ${kept.length} QEMU process(es)`)
  const entries = (await Promise.all(kept.map((pid) => captureProcess(ctx, pid, item.group)))).flat()
  if (kept.length < matching.length) {
    entries.push(overCapEntry('/proc', item.group, `${matching.length - kept.length} more QEMU processes not captured (cap of ${item.maxProcesses})`))
  }
  return entries
}

/** File-name-safe command id part. */
function idPart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_')
}

/** Executables in the search path whose name matches, first occurrence per real file. */
async function findBinaries(ctx: WalkContext, item: BinaryVersionsItem): Promise<string[]> {
  const globs = item.globs.map(globMatcher)
  const wanted = (name: string) => item.names.includes(name) || globs.some((g) => g(name))
  const dirs = [...new Set([...ctx.host.searchPath, ...item.extraDirs].filter((d) => d.startsWith('/')))]
  // /bin -> /usr/bin on merged-usr systems: list each real directory once.
  const realDirs = await Promise.all(dirs.map((d) => ctx.fs(() => ctx.host.realpath(d)).catch(() => null)))
  const seenDirs = new Set<string>()
  const listings = await Promise.all(
    dirs.map(async (dir, i) => {
      const real = realDirs[i]
      if (real === null || seenDirs.has(real)) return []
      seenDirs.add(real)
      const names = await ctx.fs(() => ctx.host.readdir(dir)).catch(() => [] as string[])
      return names.filter(wanted).sort().map((n) => `${dir}/${n}`)
    }),
  )
  const candidates = listings.flat()
  const checked = await Promise.all(
    candidates.map(async (path) => {
      try {
        const s = await ctx.fs(() => ctx.host.stat(path))
        if (s.type !== 'file' || (s.mode & 0o111) === 0) return null
        return await ctx.fs(() => ctx.host.realpath(path))
      } catch {
        return null
      }
    }),
  )
  // One command per real file; name it after the path that carries the real name (kvm ->
  // qemu-system-x86_64 runs as qemu-system-x86_64), else after the first path found.
  const byReal = new Map<string, string>()
  candidates.forEach((path, i) => {
    const real = checked[i]
    if (real === null) return
    const chosen = byReal.get(real)
    if (chosen === undefined || (baseName(chosen) !== baseName(real) && baseName(path) === baseName(real))) byReal.set(real, path)
  })
  return [...byReal.values()]
}

export async function captureBinaryVersions(ctx: WalkContext, item: BinaryVersionsItem): Promise<ManifestEntry[]> {
  const binaries = await findBinaries(ctx, item)
  if (binaries.length === 0) {
    const searched = [...item.names, ...item.globs].join(', ')
    return [{kind: 'command', id: `${item.id}-version`, group: item.group, status: 'missing', durationMs: 0, bytes: 0, reason: `not installed (no ${searched} in PATH or ${item.extraDirs.join(', ')})`}]
  }
  const used = new Set<string>()
  const commands = binaries.map((path) => {
    const base = `${item.id}-version-${idPart(baseName(path))}`
    let id = base
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`
    used.add(id)
    return ctx.command({id, argv: [path, '--version'], group: item.group})
  })
  return Promise.all(commands)
}
