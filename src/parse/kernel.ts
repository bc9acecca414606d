/** Kernel facts: release, version string, command line, taint, distribution, host name. */
import type {CaptureView} from '../capture/view.js'
import type {KernelFacts} from '../model/level.js'
import {lines, sourced} from './sourced.js'

/** Taint bits in kernel order (include/linux/panic.h, Documentation/admin-guide/tainted-kernels.rst). */
const TAINT_FLAGS: Array<{letter: string; name: string; description: string}> = [
  {letter: 'P', name: 'PROPRIETARY_MODULE', description: 'proprietary module was loaded'},
  {letter: 'F', name: 'FORCED_MODULE', description: 'module was force loaded'},
  {letter: 'S', name: 'CPU_OUT_OF_SPEC', description: 'kernel running on an out of specification system'},
  {letter: 'R', name: 'FORCED_RMMOD', description: 'module was force unloaded'},
  {letter: 'M', name: 'MACHINE_CHECK', description: 'processor reported a Machine Check Exception'},
  {letter: 'B', name: 'BAD_PAGE', description: 'bad page referenced or some unexpected page flags'},
  {letter: 'U', name: 'USER', description: 'taint requested by userspace application'},
  {letter: 'D', name: 'DIE', description: 'kernel died recently, i.e. there was an OOPS or BUG'},
  {letter: 'A', name: 'OVERRIDDEN_ACPI_TABLE', description: 'ACPI table overridden by user'},
  {letter: 'W', name: 'WARN', description: 'kernel issued warning'},
  {letter: 'C', name: 'CRAP', description: 'staging driver was loaded'},
  {letter: 'I', name: 'FIRMWARE_WORKAROUND', description: 'workaround for bug in platform firmware applied'},
  {letter: 'O', name: 'OOT_MODULE', description: 'externally-built ("out-of-tree") module was loaded'},
  {letter: 'E', name: 'UNSIGNED_MODULE', description: 'unsigned module was loaded'},
  {letter: 'L', name: 'SOFTLOCKUP', description: 'soft lockup occurred'},
  {letter: 'K', name: 'LIVEPATCH', description: 'kernel has been live patched'},
  {letter: 'X', name: 'AUX', description: 'auxiliary taint, defined for and used by distros'},
  {letter: 'T', name: 'RANDSTRUCT', description: 'kernel was built with the struct randomization plugin'},
  {letter: 'N', name: 'TEST', description: 'an in-kernel test has been run'},
]

export function taintFlags(value: number): KernelFacts['tainted']['flags'] {
  return TAINT_FLAGS.filter((_, bit) => Math.floor(value / 2 ** bit) % 2 === 1)
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
