/**
 * libvirt facts: daemon and client versions, and per domain its type (kvm, or qemu = TCG), CPU
 * mode/model/features from the domain XML, and from its QEMU log the last start (header, command
 * line) and the QEMU-side errors that never reach dmesg ("KVM: entry failed", "failed to set MSR").
 * The XML is libvirt's own output, so a small attribute-level reader is enough; no XML dependency.
 */
import type {CaptureView} from '../capture/view.js'
import type {LevelModel, LibvirtDomain} from '../model/level.js'

type LibvirtFacts = LevelModel['libvirt']
import {lines} from './sourced.js'

const LOG_DIR = '/var/log/libvirt/qemu'
const CONFIG_DIR = '/etc/libvirt/qemu'
const STATUS_DIR = '/run/libvirt/qemu'

function decodeEntities(s: string): string {
  return s
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&')
}

function xmlAttributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of tag.matchAll(/([\w:-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) out[m[1]] = decodeEntities(m[2] ?? m[3] ?? '')
  return out
}

export interface DomainXml {
  name: string | null
  type: string | null
  cpuMode: string | null
  cpuModel: string | null
  cpuFeatures: Array<{policy: string; name: string}>
  /** From a status XML (/run/libvirt/qemu/<dom>.xml): <domstatus state='running'>. */
  state: string | null
}

export function parseDomainXml(xml: string): DomainXml {
  const domainTag = /<domain\b([^>]*)>/.exec(xml)
  const body = domainTag ? xml.slice(domainTag.index) : ''
  const name = /<name>([^<]*)<\/name>/.exec(body)?.[1]
  const cpuOpen = /<cpu\b([^>]*?)(\/?)>/.exec(body)
  let cpuMode: string | null = null
  let cpuModel: string | null = null
  const cpuFeatures: Array<{policy: string; name: string}> = []
  if (cpuOpen) {
    const attrs = xmlAttributes(cpuOpen[1])
    // No mode attribute means custom (libvirt formatdomain: mode defaults to 'custom').
    cpuMode = attrs.mode ?? 'custom'
    if (cpuOpen[2] !== '/') {
      const end = body.indexOf('</cpu>', cpuOpen.index)
      const cpuBody = body.slice(cpuOpen.index, end < 0 ? undefined : end)
      const model = /<model\b[^>]*>([^<]*)<\/model>/.exec(cpuBody)?.[1]
      cpuModel = model ? decodeEntities(model.trim()) : null
      for (const f of cpuBody.matchAll(/<feature\b([^>]*)\/?>/g)) {
        const a = xmlAttributes(f[1])
        if (a.name) cpuFeatures.push({policy: a.policy ?? 'require', name: a.name})
      }
    }
  }
  const domstatus = /<domstatus\b([^>]*)>/.exec(xml)
  return {
    name: name ? decodeEntities(name.trim()) : null,
    type: domainTag ? (xmlAttributes(domainTag[1]).type ?? null) : null,
    cpuMode,
    cpuModel,
    cpuFeatures,
    state: domstatus ? (xmlAttributes(domstatus[1]).state ?? null) : null,
  }
}

/** Split one line of a libvirt-logged command line the way the shell would (single/double quotes, `\` escapes). */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      cur += line.slice(i + 1, end < 0 ? undefined : end)
      i = end < 0 ? line.length : end
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++
        cur += line[j]
        j++
      }
      i = j
      inWord = true
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]
      inWord = true
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) words.push(cur)
  return words
}

export interface LibvirtLog {
  lastStart: string | null
  libvirtVersion: string | null
  qemuVersion: string | null
  lastCommandLine: string[] | null
  errors: Array<{line: number; text: string}>
}

const START = /^(\S+ \S+): starting up (.*)$/
/** QEMU-side failures that only the libvirt log keeps (kernel-log-formats.md #35, virtualization-facts.md §7). */
const LOG_ERROR =
  /KVM: entry failed|KVM internal error|failed to set MSR|failed to get MSR|Assertion .* failed|shutting down, reason=(failed|crashed)|host doesn't support requested feature|\berror\b|Could not access KVM kernel module|failed to initialize kvm|kvm_init_vcpu failed|Failed to (create|initialize|start)|Unable to |cannot /i
const NOT_ERROR = /^(LC_ALL|PATH|HOME|XDG_\w+|USER|LOGNAME|SHELL|QEMU_AUDIO_DRV|TMPDIR)=|^-/

export function parseLibvirtLog(text: string): LibvirtLog {
  const all = lines(text)
  let startIndex = -1
  for (let i = all.length - 1; i >= 0; i--) {
    if (START.test(all[i])) {
      startIndex = i
      break
    }
  }
  let lastStart: string | null = null
  let libvirtVersion: string | null = null
  let qemuVersion: string | null = null
  let lastCommandLine: string[] | null = null
  const commandLines = new Set<number>()
  if (startIndex >= 0) {
    const m = START.exec(all[startIndex])!
    lastStart = m[1]
    libvirtVersion = /libvirt version: ([^,]+)/.exec(m[2])?.[1]?.trim() ?? null
    qemuVersion = /qemu version: (.+?)(?:, kernel:|, hostname:|$)/.exec(m[2])?.[1]?.trim() ?? null
    // Env lines, then the binary and one option (with its value) per line, each continued with ` \`.
    const argv: string[] = []
    let inEnv = true
    for (let i = startIndex + 1; i < all.length; i++) {
      const raw = all[i]
      const continued = / \\$/.test(raw)
      const line = continued ? raw.slice(0, -2) : raw
      commandLines.add(i)
      if (inEnv && /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) {
        if (!continued) break
        continue
      }
      inEnv = false
      argv.push(...shellWords(line))
      if (!continued) break
    }
    lastCommandLine = argv.length > 0 ? argv : null
  }
  const errors: Array<{line: number; text: string}> = []
  all.forEach((l, i) => {
    if (commandLines.has(i) || START.test(l) || NOT_ERROR.test(l.trim())) return
    if (LOG_ERROR.test(l)) errors.push({line: i + 1, text: l.trim()})
  })
  return {lastStart, libvirtVersion, qemuVersion, lastCommandLine, errors}
}

/** `libvirtd (libvirt) 9.0.0` or a bare `9.0.0`. */
export function libvirtVersion(text: string | null): string | null {
  if (text === null) return null
  const m = /(\d+\.\d+(?:\.\d+)?\S*)\s*$/m.exec(text.trim())
  return m ? m[1] : null
}

export function parseLibvirt(view: CaptureView, runningQemuNames: string[] = []): LibvirtFacts {
  const configs = new Map<string, {xml: DomainXml; path: string}>()
  const statuses = new Map<string, {xml: DomainXml; path: string}>()
  for (const [dir, into] of [
    [CONFIG_DIR, configs],
    [STATUS_DIR, statuses],
  ] as const) {
    for (const file of view.list(dir).filter((f) => f.endsWith('.xml'))) {
      const path = `${dir}/${file}`
      const xml = parseDomainXml(view.text(path) ?? '')
      into.set(xml.name ?? file.slice(0, -4), {xml, path})
    }
  }
  const logs = new Map(
    view
      .list(LOG_DIR)
      .filter((f) => f.endsWith('.log'))
      .map((f) => [f.slice(0, -4), `${LOG_DIR}/${f}`] as const),
  )
  const names = [...new Set([...configs.keys(), ...statuses.keys(), ...logs.keys()])].sort()
  const domains: LibvirtDomain[] = names.map((name) => {
    const chosen = statuses.get(name) ?? configs.get(name)
    const logFile = logs.get(name) ?? null
    const log = logFile ? parseLibvirtLog(view.text(logFile) ?? '') : null
    const status = statuses.get(name)
    const running = status ? status.xml.state === null || status.xml.state === 'running' || status.xml.state === 'paused' : runningQemuNames.includes(name)
    return {
      name,
      type: chosen?.xml.type ?? null,
      cpuMode: chosen?.xml.cpuMode ?? null,
      cpuModel: chosen?.xml.cpuModel ?? null,
      cpuFeatures: chosen?.xml.cpuFeatures ?? [],
      running,
      xmlSource: chosen?.path ?? null,
      logFile,
      lastCommandLine: log?.lastCommandLine ?? null,
      lastStart: log?.lastStart ?? null,
      errors: log?.errors ?? [],
    }
  })
  const daemon = libvirtVersion(view.commandOutput('libvirtd-version'))
  const client = libvirtVersion(view.commandOutput('virsh-version'))
  return {
    libvirtdVersion: {value: daemon, source: daemon ? 'command:libvirtd-version' : ''},
    virshVersion: {value: client, source: client ? 'command:virsh-version' : ''},
    domains,
  }
}
