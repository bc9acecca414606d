/**
 * The capture engine: walks CAPTURE_SPEC over a Host and records every file read and command run
 * in the manifest, with how it ended. Items run concurrently but bounded (file reads through the
 * libuv pool, two commands per core); the manifest keeps spec order whatever order the work
 * finished in, so two captures of the same machine compare line by line.
 */
import {describeError} from '../lib/errors.js'
import type {Host, HostStat} from './host.js'
import {CAPTURE_SPEC, type CpuidItem, type GlobItem, type SpecItem, type StatItem} from './spec.js'
import type {CommandOutput, ManifestEntry, StatRecord} from './types.js'
import {formatCpuidLeaf, formatStatRecord} from './view.js'
import {failedFsEntry, fsFailure, globMatcher, overCapEntry, WalkContext, type WalkOptions} from './walk-context.js'
import {captureBinaryVersions, captureProcesses} from './walk-processes.js'

export type {WalkOptions} from './walk-context.js'

export interface WalkResult {
  files: Map<string, Buffer>
  commands: Map<string, CommandOutput>
  entries: ManifestEntry[]
}

/** Regular files matching a pattern, sorted; directories that could not be listed are reported. */
async function expandGlob(ctx: WalkContext, pattern: string, group: string): Promise<{matches: string[]; problems: ManifestEntry[]}> {
  const problems: ManifestEntry[] = []
  let candidates = ['']
  for (const part of pattern.split('/').filter(Boolean)) {
    if (!part.includes('*')) {
      candidates = candidates.map((c) => `${c}/${part}`)
      continue
    }
    const matches = globMatcher(part)
    const listed = await Promise.all(
      candidates.map(async (dir) => {
        const started = performance.now()
        try {
          const names = await ctx.fs(() => ctx.host.readdir(dir || '/'))
          return names.filter(matches).map((n) => `${dir}/${n}`)
        } catch (error) {
          const {status} = fsFailure(error)
          // Absent directories are the normal case (no libvirt here); unreadable ones are worth a line.
          if (status !== 'missing') problems.push({...failedFsEntry('file', dir || '/', group, error, started), reason: `cannot list ${dir || '/'}: ${describeError(error)}`})
          return []
        }
      }),
    )
    candidates = listed.flat()
  }
  const isFile = await Promise.all(
    candidates.map((p) =>
      ctx
        .fs(() => ctx.host.stat(p))
        .then((s) => s.type === 'file')
        .catch(() => false),
    ),
  )
  problems.sort((a, b) => (a.id < b.id ? -1 : 1))
  return {matches: candidates.filter((_, i) => isFile[i]).sort(), problems}
}

async function captureGlob(ctx: WalkContext, item: GlobItem): Promise<ManifestEntry[]> {
  const {matches, problems} = await expandGlob(ctx, item.pattern, item.group)
  const kept = item.maxFiles === undefined ? matches : matches.slice(0, item.maxFiles)
  const entries = await Promise.all(kept.map((p) => ctx.captureFile(p, item.group, item.maxBytes)))
  if (kept.length < matches.length) {
    entries.push(overCapEntry(item.pattern, item.group, `${matches.length - kept.length} more files matching ${item.pattern} not captured (cap of ${item.maxFiles})`))
  }
  return [...problems, ...entries]
}

/** Linux dev_t decoding (glibc gnu_dev_major/minor). */
function formatRdev(rdev: number): string {
  const dev = BigInt(rdev)
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn)
  return `${major}:${minor}`
}

function statRecord(s: HostStat, access: {readable: boolean; writable: boolean}): StatRecord {
  const record: StatRecord = {
    type: s.type,
    mode: `0${(s.mode & 0o7777).toString(8).padStart(3, '0')}`,
    uid: s.uid,
    gid: s.gid,
    readable: access.readable,
    writable: access.writable,
  }
  if (s.type === 'char' || s.type === 'block') record.rdev = formatRdev(s.rdev)
  return record
}

async function captureStat(ctx: WalkContext, item: StatItem): Promise<ManifestEntry> {
  const started = performance.now()
  try {
    const [s, access] = await Promise.all([ctx.fs(() => ctx.host.stat(item.path)), ctx.fs(() => ctx.host.access(item.path))])
    return ctx.storeDerived('stat', item.path, item.group, `${item.path}@stat`, formatStatRecord(statRecord(s, access)), started)
  } catch (error) {
    return failedFsEntry('stat', item.path, item.group, error, started)
  }
}

async function captureCpuid(ctx: WalkContext, item: CpuidItem): Promise<ManifestEntry> {
  const started = performance.now()
  // The driver maps the file offset to the CPUID input: low 32 bits leaf (EAX), high 32 bits subleaf (ECX).
  const positions = item.leaves.map(([leaf, subleaf]) => BigInt(leaf) + BigInt(subleaf) * 2n ** 32n)
  let blocks: Array<Buffer | NodeJS.ErrnoException>
  try {
    blocks = await ctx.fs(() => ctx.host.readBlocks(item.path, positions, 16))
  } catch (error) {
    const entry = failedFsEntry('cpuid', item.path, item.group, error, started)
    if (entry.status === 'missing') entry.reason = `${item.path} absent: no x86 cpuid driver (CONFIG_X86_CPUID off or the cpuid module not loaded, or not x86)`
    if (entry.status === 'permission-denied') entry.reason = `${item.path} needs root`
    return entry
  }
  const lines: string[] = []
  let firstError: NodeJS.ErrnoException | undefined
  for (const [i, block] of blocks.entries()) {
    if (!Buffer.isBuffer(block)) {
      firstError ??= block
      continue
    }
    if (block.length < 16) continue
    const [leaf, subleaf] = item.leaves[i]
    const [eax, ebx, ecx, edx] = [0, 4, 8, 12].map((o) => block.readUInt32LE(o))
    lines.push(formatCpuidLeaf({leaf, subleaf, eax, ebx, ecx, edx}))
  }
  if (lines.length === 0) {
    const entry = failedFsEntry('cpuid', item.path, item.group, firstError ?? new Error('short reads'), started)
    entry.reason = `no CPUID leaf readable through ${item.path}: ${describeError(firstError ?? 'short reads')}`
    return entry
  }
  return ctx.storeDerived('cpuid', item.path, item.group, `${item.path}@leaves`, `${lines.join('\n')}\n`, started)
}

async function captureItem(ctx: WalkContext, item: SpecItem): Promise<ManifestEntry[]> {
  switch (item.kind) {
    case 'file':
      return [await ctx.captureFile(item.path, item.group, item.maxBytes)]
    case 'glob':
      return captureGlob(ctx, item)
    case 'command':
      return [await ctx.command(item)]
    case 'stat':
      return [await captureStat(ctx, item)]
    case 'cpuid':
      return [await captureCpuid(ctx, item)]
    case 'processes':
      return captureProcesses(ctx, item)
    case 'versions':
      return captureBinaryVersions(ctx, item)
  }
}

/** Walk the spec over a host: every item attempted, every outcome in the manifest entries. */
export async function walkSpec(host: Host, options: WalkOptions): Promise<WalkResult> {
  const ctx = new WalkContext(host, options)
  const spec = options.spec ?? CAPTURE_SPEC
  // Start fallbacks last, so a fallback always finds its primary already started.
  const order = [...spec.keys()].sort((a, b) => Number(isFallback(spec[a])) - Number(isFallback(spec[b])))
  const results: ManifestEntry[][] = new Array(spec.length)
  await Promise.all(
    order.map(async (i) => {
      results[i] = await captureItem(ctx, spec[i])
    }),
  )
  return {files: ctx.files, commands: ctx.commands, entries: results.flat()}
}

function isFallback(item: SpecItem): boolean {
  return item.kind === 'command' && item.fallbackFor !== undefined
}
