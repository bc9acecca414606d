/**
 * KVM facts: /dev/kvm, every kvm* module under /sys/module with every parameter's live value,
 * modprobe.d options for them, the vendor module that provides /dev/kvm, nesting switches
 * normalised to booleans, and the vendor load-failure lines of the kernel log.
 */
import {LineNormaliser} from '../analyse/kernel-log/normalise.js'
import type {CaptureView} from '../capture/view.js'
import type {KvmFacts, KvmModule} from '../model/level.js'
import type {LogText} from './kernel-log.js'
import {lines} from './sourced.js'

const MODULE_DIR = '/sys/module'
const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d']

/** Parameters that decide whether and how well nesting works (virtualization-facts.md §5). */
const NESTING_PARAMETERS = [
  'nested',
  'ept',
  'npt',
  'enable_shadow_vmcs',
  'enable_apicv',
  'avic',
  'vls',
  'vgif',
  'nrips',
  'unrestricted_guest',
  'vpid',
] as const

/** Hardware-vendor modules first; kvm_pvm provides /dev/kvm without VMX/SVM. */
const VENDOR_MODULES = ['kvm_intel', 'kvm_amd', 'kvm_pvm', 'kvm_hv', 'kvm_pr']
/** kvm* names that are not KVM vendor modules (i915 GVT-g). */
const NOT_VENDOR = new Set(['kvm', 'kvmgt'])

/** Kernel log lines that say the vendor module could not load (virtualization-facts.md §5). */
const LOAD_FAILURE = /(VMX|SVM) not supported|(VMX|SVM) not enabled|SVM disabled|no hardware support|disabled by bios|isn't AMD or Hygon|kvm: support for '\S+' disabled/i

export function parseKvm(
  view: CaptureView,
  options: {cpuVirtFlags?: {vmx: boolean; svm: boolean}; cmdline?: string | null; kernelLog?: LogText | null} = {},
): KvmFacts {
  const modules = kvmModules(view)
  const vendorModule = vendorModuleOf(modules.map((m) => m.name), options.cpuVirtFlags)
  return {
    devKvm: devKvm(view),
    modules,
    vendorModule,
    nesting: nestingSwitches(modules, vendorModule, options.cmdline ?? null),
    modprobeOptions: modprobeOptions(view),
    loadFailures: options.kernelLog ? loadFailures(options.kernelLog) : [],
  }
}

function devKvm(view: CaptureView): KvmFacts['devKvm'] {
  const stat = view.stat('/dev/kvm')
  if (stat) {
    return {
      present: true,
      accessible: stat.readable && stat.writable,
      mode: stat.mode || null,
      owner: stat.uid >= 0 && stat.gid >= 0 ? `${stat.uid}:${stat.gid}` : null,
      rdev: stat.rdev ?? null,
      source: '/dev/kvm@stat',
    }
  }
  const entry = view.entry('stat', '/dev/kvm')
  const present = entry?.status === 'missing' ? false : null
  return {present, accessible: present === false ? false : null, mode: null, owner: null, rdev: null, source: entry ? '/dev/kvm' : ''}
}

/** `name size refcount deps state address` lines of /proc/modules. */
function parseProcModules(text: string): string[] {
  return lines(text)
    .map((l) => l.split(/\s+/)[0])
    .filter((n) => n && /^[\w-]+$/.test(n))
}

function kvmModules(view: CaptureView): KvmModule[] {
  const procModules = view.text('/proc/modules')
  const listed = procModules === null ? null : new Set(parseProcModules(procModules))
  const noModuleSupport = procModules === null && view.entry('file', '/proc/modules')?.status === 'missing'
  const names = new Set(view.list(MODULE_DIR).filter((n) => n.startsWith('kvm')))
  for (const n of listed ?? []) if (n.startsWith('kvm')) names.add(n)
  return [...names].sort().map((name) => {
    const dir = `${MODULE_DIR}/${name}`
    // fromEntries makes every name an own property, even one spelled like an Object.prototype member.
    const parameters: Record<string, string> = Object.fromEntries(
      view
        .list(`${dir}/parameters`)
        .map((p) => [p, view.text(`${dir}/parameters/${p}`)] as const)
        .filter((e): e is readonly [string, string] => e[1] !== null)
        .map(([p, v]) => [p, v.replace(/\n+$/, '')]),
    )
    const initstate = view.value(`${dir}/initstate`)
    let loadedAs: KvmModule['loadedAs'] = 'unknown'
    if (initstate === 'live' || listed?.has(name)) loadedAs = 'module'
    else if (listed !== null || noModuleSupport) loadedAs = 'builtin'
    return {
      name,
      loadedAs,
      version: view.value(`${dir}/version`),
      srcversion: view.value(`${dir}/srcversion`),
      parameters,
      source: Object.keys(parameters).length > 0 ? `${dir}/parameters` : listed?.has(name) ? '/proc/modules' : dir,
    }
  })
}

/**
 * The module that provides /dev/kvm. When several vendor modules are present the one matching the
 * CPU's vmx/svm flag wins; without either flag a kvm_pvm beats a hardware module that cannot run.
 */
export function vendorModuleOf(names: string[], cpu?: {vmx: boolean; svm: boolean}): string | null {
  const present = new Set(names)
  if (cpu?.vmx && present.has('kvm_intel')) return 'kvm_intel'
  if (cpu?.svm && present.has('kvm_amd')) return 'kvm_amd'
  if (cpu && !cpu.vmx && !cpu.svm && present.has('kvm_pvm')) return 'kvm_pvm'
  for (const m of VENDOR_MODULES) if (present.has(m)) return m
  return names.filter((n) => n.startsWith('kvm_') && !NOT_VENDOR.has(n)).sort()[0] ?? null
}

/** Y/N (bool params) and 1/0 (kvm_amd's int params) to booleans; anything else is not a switch. */
export function parseSwitch(value: string | undefined): boolean | null {
  if (value === undefined) return null
  const v = value.trim()
  if (/^(y|yes|1|on|true)$/i.test(v)) return true
  if (/^(n|no|0|off|false)$/i.test(v)) return false
  return null
}

export function nestingSwitches(modules: KvmModule[], vendorModule: string | null, cmdline: string | null): Record<string, boolean | null> {
  const byName = new Map(modules.map((m) => [m.name, m]))
  const vendor = vendorModule ? byName.get(vendorModule) : undefined
  const core = byName.get('kvm')
  const out: Record<string, boolean | null> = {}
  for (const p of NESTING_PARAMETERS) {
    // s390 and arm64 keep `nested` in the core kvm module.
    out[p] = parseSwitch(vendor?.parameters[p] ?? (p === 'nested' ? core?.parameters[p] : undefined))
  }
  // PVM (kvm_pvm) has no nested/ept/npt: its one nesting switch is the guest kernel's nested_pvm=
  // (this level is itself a PVM-capable guest hypervisor). Its module parameters are debugging and
  // tuning knobs, listed with every other parameter in the module table, not claimed as switches.
  const nestedPvm = cmdline ? /(?:^|\s)nested_pvm=(\S+)/.exec(cmdline)?.[1] : undefined
  if (nestedPvm !== undefined) out.nested_pvm = parseSwitch(nestedPvm)
  return out
}

/** `options kvm_intel nested=1` lines from modprobe.d; kvm-intel and kvm_intel are the same module. */
function modprobeOptions(view: CaptureView): KvmFacts['modprobeOptions'] {
  const out: KvmFacts['modprobeOptions'] = []
  for (const dir of MODPROBE_DIRS) {
    for (const name of view.list(dir)) {
      const file = `${dir}/${name}`
      const text = view.text(file)
      if (text === null) continue
      lines(text).forEach((line, i) => {
        const m = /^\s*options\s+(\S+)\s+(.*?)\s*$/.exec(line)
        if (!m) return
        const module = m[1].replace(/-/g, '_')
        if (module.startsWith('kvm')) out.push({file, line: i + 1, module, options: m[2]})
      })
    }
  }
  return out
}

/** The kernel's own words of each load-failure line, timestamps and journal/syslog prefixes removed. */
export function loadFailures(log: LogText): KvmFacts['loadFailures'] {
  const out: KvmFacts['loadFailures'] = []
  const normaliser = new LineNormaliser()
  lines(log.text).forEach((line, i) => {
    if (!LOAD_FAILURE.test(line)) return
    const text = normaliser.normalise(line)?.text.trim() || line.trim()
    out.push({text, source: `${log.source} line ${i + 1}`})
  })
  return out
}
