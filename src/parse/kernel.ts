/** Kernel facts: release, version string, command line, taint, distribution, host name. */
import type {CaptureView} from '../capture/view.js'
import type {KernelFacts} from '../model/level.js'
import {TAINT_BITS} from '../analyse/kernel-log/taint.js'
import {lines, sourced} from './sourced.js'

/** The flags of a /proc/sys/kernel/tainted value; a bit this version does not know is still shown. */
export function taintFlags(value: number): KernelFacts['tainted']['flags'] {
  const flags: KernelFacts['tainted']['flags'] = []
  for (let bit = 0; 2 ** bit <= value; bit++) {
    if (Math.floor(value / 2 ** bit) % 2 !== 1) continue
    flags.push(TAINT_BITS[bit] ?? {letter: '?', name: `BIT_${bit}`, description: 'taint bit unknown to this nestreport version'})
  }
  return flags
}

export function parseKernel(view: CaptureView): KernelFacts {
  const version = view.value('/proc/version')
  const uname = view.commandOutput('uname')?.trim() ?? null
  const tainted = view.value('/proc/sys/kernel/tainted')
  const taintValue = tainted !== null && /^\d+$/.test(tainted) ? Number(tainted) : null
  return {
    release: release(view, version, uname),
    version: sourced(version || null, '/proc/version'),
    cmdline: sourced(view.value('/proc/cmdline'), '/proc/cmdline'),
    tainted: {
      value: taintValue,
      source: taintValue === null ? '' : '/proc/sys/kernel/tainted',
      flags: taintValue === null ? [] : taintFlags(taintValue),
    },
    os: osRelease(view),
    hostname: hostname(view),
  }
}

function release(view: CaptureView, version: string | null, uname: string | null): KernelFacts['release'] {
  const osrelease = view.value('/proc/sys/kernel/osrelease')
  if (osrelease) return sourced(osrelease, '/proc/sys/kernel/osrelease')
  const fromVersion = version ? /^Linux version (\S+)/.exec(version)?.[1] : undefined
  if (fromVersion) return sourced(fromVersion, '/proc/version')
  const fromUname = uname ? uname.split(/\s+/)[2] : undefined
  return fromUname ? sourced(fromUname, 'command:uname') : sourced<string>(null, '')
}

function hostname(view: CaptureView): KernelFacts['hostname'] {
  const h = view.value('/proc/sys/kernel/hostname')
  if (h) return sourced(h, '/proc/sys/kernel/hostname')
  return view.manifest.hostname ? sourced(view.manifest.hostname, 'manifest.json') : sourced<string>(null, '')
}

/** os-release(5): KEY=value with shell quoting; /etc first, /usr/lib as the documented fallback. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of lines(text)) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line)
    if (!m) continue
    let v = m[2].trim()
    const q = v[0]
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1)
    out[m[1]] = q === '"' ? v.replace(/\\(["\\$`])/g, '$1') : v
  }
  return out
}

function osRelease(view: CaptureView): KernelFacts['os'] {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = view.text(path)
    if (text === null) continue
    const kv = parseOsRelease(text)
    return {prettyName: kv.PRETTY_NAME ?? kv.NAME ?? null, id: kv.ID ?? null, versionId: kv.VERSION_ID ?? null, source: path}
  }
  return {prettyName: null, id: null, versionId: null, source: ''}
}
