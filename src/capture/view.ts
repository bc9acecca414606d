/**
 * Read access to a Capture for the parse stage. Parsers never touch the machine: they ask the view
 * for a file, a command's output, a derived record, or why something is missing.
 */
import type {Capture, CpuidLeaf, ManifestEntry, StatRecord} from './types.js'

export interface CommandView {
  stdout: string
  stderr: string
  status: ManifestEntry['status']
  exitCode: number | null
}

export class CaptureView {
  constructor(readonly capture: Capture) {}

  get manifest() {
    return this.capture.manifest
  }

  /** A captured file's text (invalid UTF-8 replaced), or null when it was not captured. */
  text(path: string): string | null {
    const buf = this.capture.files.get(path)
    return buf === undefined ? null : buf.toString('utf8')
  }

  /** First line of a small file (sysfs values), trimmed; null when absent. */
  value(path: string): string | null {
    const t = this.text(path)
    if (t === null) return null
    return t.split('\n')[0].trim()
  }

  has(path: string): boolean {
    return this.capture.files.has(path)
  }

  /** Captured file paths directly inside `dir` (basenames), sorted. */
  list(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`
    const names = new Set<string>()
    for (const p of this.capture.files.keys()) {
      if (!p.startsWith(prefix)) continue
      const rest = p.slice(prefix.length)
      const name = rest.split('/')[0]
      if (name) names.add(name)
    }
    return [...names].sort()
  }

  /** Paths of captured files whose path matches the regular expression, sorted. */
  match(re: RegExp): string[] {
    return [...this.capture.files.keys()].filter((p) => re.test(p)).sort()
  }

  command(id: string): CommandView | null {
    const out = this.capture.commands.get(id)
    const entry = this.entry('command', id)
    if (!out && !entry) return null
    return {
      stdout: out?.stdout.toString('utf8') ?? '',
      stderr: out?.stderr.toString('utf8') ?? '',
      status: entry?.status ?? 'ok',
      exitCode: entry?.exitCode ?? null,
    }
  }

  /** stdout of a command that ran and succeeded, else null. */
  commandOutput(id: string): string | null {
    const c = this.command(id)
    if (!c || c.status !== 'ok') return null
    return c.stdout
  }

  entry(kind: ManifestEntry['kind'], id: string): ManifestEntry | undefined {
    return this.capture.manifest.entries.find((e) => e.kind === kind && e.id === id)
  }

  /** Parsed root/<path>@stat record. */
  stat(path: string): StatRecord | null {
    const t = this.text(`${path}@stat`)
    if (t === null) return null
    const kv = parseKeyValues(t)
    const type = kv.type as StatRecord['type'] | undefined
    return {
      type: type ?? 'other',
      mode: kv.mode ?? '',
      uid: Number(kv.uid ?? -1),
      gid: Number(kv.gid ?? -1),
      rdev: kv.rdev,
      readable: kv.readable === 'yes',
      writable: kv.writable === 'yes',
    }
  }

  /** Parsed root/<dir>@links record: name -> target. */
  links(dir: string): Map<string, string> | null {
    const t = this.text(`${dir}@links`)
    if (t === null) return null
    const out = new Map<string, string>()
    for (const line of t.split('\n')) {
      const i = line.indexOf(' -> ')
      if (i > 0) out.set(line.slice(0, i), line.slice(i + 4))
    }
    return out
  }

  /** Parsed root/<path>@leaves record. */
  cpuid(path = '/dev/cpu/0/cpuid'): CpuidLeaf[] | null {
    const t = this.text(`${path}@leaves`)
    if (t === null) return null
    return parseCpuidLeaves(t)
  }

  /** Why a file or command is not in the capture, in words for the report. */
  whyMissing(kind: ManifestEntry['kind'], id: string): string {
    const e = this.entry(kind, id)
    if (!e) return 'not captured by this version of the collector'
    if (e.reason) return e.reason
    switch (e.status) {
      case 'missing':
        return kind === 'command' ? 'command not installed' : 'not present on this machine'
      case 'permission-denied':
        return 'permission denied (run as root for a complete report)'
      case 'timed-out':
        return `timed out after ${this.capture.manifest.timeoutSeconds}s`
      case 'failed':
        return `failed${e.exitCode === undefined || e.exitCode === null ? '' : ` with exit status ${e.exitCode}`}`
      case 'skipped':
        return 'skipped'
      default:
        return 'empty'
    }
  }
}

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const token of text.trim().split(/\s+/)) {
    const i = token.indexOf('=')
    if (i > 0) out[token.slice(0, i)] = token.slice(i + 1)
  }
  return out
}

/** `leaf subleaf eax ebx ecx edx` per line, all hexadecimal (0x prefix optional). */
export function parseCpuidLeaves(text: string): CpuidLeaf[] {
  const leaves: CpuidLeaf[] = []
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/)
    if (parts.length !== 6) continue
    const n = parts.map((p) => Number.parseInt(p.replace(/^0x/i, ''), 16))
    if (n.some((x) => Number.isNaN(x))) continue
    leaves.push({leaf: n[0], subleaf: n[1], eax: n[2] >>> 0, ebx: n[3] >>> 0, ecx: n[4] >>> 0, edx: n[5] >>> 0})
  }
  return leaves
}

export function formatCpuidLeaf(l: CpuidLeaf): string {
  const h = (x: number) => `0x${(x >>> 0).toString(16).padStart(8, '0')}`
  return `${h(l.leaf)} ${h(l.subleaf)} ${h(l.eax)} ${h(l.ebx)} ${h(l.ecx)} ${h(l.edx)}`
}

export function formatStatRecord(s: StatRecord): string {
  const parts = [`type=${s.type}`, `mode=${s.mode}`, `uid=${s.uid}`, `gid=${s.gid}`]
  if (s.rdev) parts.push(`rdev=${s.rdev}`)
  parts.push(`readable=${s.readable ? 'yes' : 'no'}`, `writable=${s.writable ? 'yes' : 'no'}`)
  return `${parts.join(' ')}\n`
}
