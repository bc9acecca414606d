/**
 * Shared vocabulary of the finding families: the setup being analysed, level lookups, and the few
 * facts several families derive the same way (CPU vendor, the QEMU that runs the level below,
 * version comparison). Every function here is pure over LevelModels.
 */
import type {Finding, FindingEvidence, Severity} from '../../model/combined.js'
import type {LevelModel, LevelName, QemuProcess} from '../../model/level.js'

/** The levels under analysis, each keyed by the level the combination assigned (level.effective). */
export interface Setup {
  levels: LevelModel[]
  /** `nestreport check` on one machine: checks that need a neighbour level stay silent. */
  single: boolean
  /** Levels placed because the bundle above runs them (combine's link step), not by detection. */
  linked?: LevelName[]
}

export function levelOf(model: LevelModel): LevelName | null {
  return model.level.effective ?? model.level.detected
}

export function at(setup: Setup, name: LevelName): LevelModel | undefined {
  return setup.levels.find((m) => levelOf(m) === name)
}

export function below(name: LevelName): LevelName | null {
  return name === 'L0' ? 'L1' : name === 'L1' ? 'L2' : null
}

/** Levels that run guests with KVM in a nested setup: the host and the guest hypervisor. */
export const HYPERVISOR_LEVELS: readonly LevelName[] = ['L0', 'L1']

/** Each level present with the level it runs, when that one's bundle is present too (L0 and L1, L1 and L2). */
export function presentPairs(setup: Setup): Array<{upperName: LevelName; lowerName: LevelName; upper: LevelModel; lower: LevelModel}> {
  return HYPERVISOR_LEVELS.flatMap((upperName) => {
    const lowerName = below(upperName)!
    const upper = at(setup, upperName)
    const lower = at(setup, lowerName)
    return upper && lower ? [{upperName, lowerName, upper, lower}] : []
  })
}

export function finding(
  id: string,
  severity: Severity,
  title: string,
  levels: LevelName[],
  evidence: FindingEvidence[],
  advice = '',
): Finding {
  return {id, severity, title, levels: [...new Set(levels)].sort(), evidence, advice}
}

export function evidence(level: LevelName | null, source: string, text: string): FindingEvidence {
  return {level, source: source || 'unknown source', text}
}

export type CpuVendor = 'intel' | 'amd' | 'other'

export function cpuVendor(model: LevelModel): CpuVendor | null {
  const v = model.cpu.vendor.value
  if (!v) return null
  if (v === 'GenuineIntel') return 'intel'
  if (v === 'AuthenticAMD' || v === 'HygonGenuine') return 'amd'
  return 'other'
}

export function isX86(model: LevelModel): boolean {
  const arch = model.cpu.arch.value ?? ''
  if (/^(x86_64|amd64|i[3-6]86|x86)$/.test(arch)) return true
  const vendor = cpuVendor(model)
  return vendor === 'intel' || vendor === 'amd'
}

/** VMX or SVM reaches this level: cpuinfo flags, or raw CPUID when the flags were not readable. */
export function hasHardwareVirt(model: LevelModel): boolean {
  const f = model.cpu.virtFlags
  if (f.vmx || f.svm) return true
  return Boolean(model.cpu.cpuid?.vmx || model.cpu.cpuid?.svm)
}

export const STANDARD_VENDOR_MODULES = ['kvm_intel', 'kvm_amd'] as const

/**
 * The x86 module that provides /dev/kvm without VMX/SVM (kvm_pvm), or null. Built-in modules
 * only show under /sys/module, which is what KvmFacts.modules lists.
 */
export function nonVmxSvmKvmModule(model: LevelModel): string | null {
  if (!isX86(model)) return null
  const vendor = model.kvm.vendorModule
  if (vendor && vendor !== 'kvm' && !(STANDARD_VENDOR_MODULES as readonly string[]).includes(vendor)) return vendor
  const other = model.kvm.modules.find((m) => /^kvm_/.test(m.name) && !(STANDARD_VENDOR_MODULES as readonly string[]).includes(m.name))
  return other?.name ?? null
}

/** The vendor module that provides KVM at this level (kvm_intel, kvm_amd, kvm_pvm, kvm_hv, kvm on s390). */
export function vendorModuleOf(model: LevelModel): string | null {
  if (model.kvm.vendorModule) return model.kvm.vendorModule
  const names = model.kvm.modules.map((m) => m.name)
  return names.find((n) => n !== 'kvm' && /^kvm_/.test(n)) ?? (names.includes('kvm') && !isX86(model) ? 'kvm' : null)
}

export function paramSource(model: LevelModel, module: string, param: string): string {
  const mod = model.kvm.modules.find((m) => m.name === module)
  if (mod && mod.source && !mod.source.endsWith('/parameters') && mod.source.startsWith('/sys/module/')) {
    return `${mod.source.replace(/\/$/, '')}/parameters/${param}`
  }
  return `/sys/module/${module}/parameters/${param}`
}

/** The parameter as the kernel printed it (Y/N/1/0), or null when not captured. */
export function rawParam(model: LevelModel, module: string, param: string): string | null {
  return model.kvm.modules.find((m) => m.name === module)?.parameters[param] ?? null
}

/** The guest's DMI product UUID, which QEMU sets from -uuid (libvirt passes the domain UUID). */
function productUuid(model: LevelModel): string | null {
  return model.virt.dmi.product_uuid?.toLowerCase() ?? null
}

function processUuid(p: QemuProcess): string | null {
  const i = p.argv.indexOf('-uuid')
  return i >= 0 && p.argv[i + 1] ? p.argv[i + 1].toLowerCase() : null
}

/** Why this QEMU process runs `lower`: its -name is lower's host name, or its -uuid lower's DMI UUID. */
function processRuns(p: QemuProcess, lower: LevelModel): string | null {
  const host = lower.kernel.hostname.value
  if (host && p.name === host) return `QEMU -name ${host} matches its host name`
  const uuid = productUuid(lower)
  if (uuid && processUuid(p) === uuid) return `QEMU -uuid matches its DMI product UUID`
  return null
}

/** The process was started with a -uuid and `lower` has another DMI UUID: it runs some other guest. */
export function processRunsOther(p: QemuProcess, lower: LevelModel): boolean {
  const mine = processUuid(p)
  const theirs = productUuid(lower)
  return mine !== null && theirs !== null && mine !== theirs
}

/**
 * How `upper` runs `lower` as a guest, or null when nothing links them: a running QEMU or libvirt
 * domain of `upper` named after lower's host name, or started with lower's DMI UUID. This is what
 * tells L1 from L2 when both are guests that can run guests (a guest cannot see how deep it is).
 */
export function runsGuest(upper: LevelModel, lower: LevelModel): string | null {
  for (const p of upper.qemu.processes) {
    const how = processRuns(p, lower)
    if (how) return `${how} (pid ${p.pid})`
  }
  const host = lower.kernel.hostname.value
  const domain = host ? upper.libvirt.domains.find((d) => d.running && d.name === host) : undefined
  return domain ? `running libvirt domain ${domain.name} matches its host name` : null
}

export interface QemuBelow {
  process: QemuProcess
  /** How the process was picked among several ("the only QEMU running", "QEMU -name l1 matches its host name"). */
  how: string
}

/**
 * The QEMU process at `upper` that runs the level below it. With one QEMU it is that one; with
 * several, the one linked to the lower level by name or UUID; otherwise none is chosen.
 */
export function qemuRunningBelow(upper: LevelModel, lower?: LevelModel): QemuBelow | null {
  const procs = upper.qemu.processes
  if (procs.length === 0) return null
  if (procs.length === 1 && !(lower && processRunsOther(procs[0], lower))) return {process: procs[0], how: 'the only QEMU running'}
  if (!lower) return null
  for (const p of procs) {
    const how = processRuns(p, lower)
    if (how) return {process: p, how}
  }
  return null
}

/** [major, minor, patch] from the first dotted version in the text ("QEMU emulator version 8.2.2 (...)"). */
export function parseVersion(text: string | null | undefined): [number, number, number] | null {
  if (!text) return null
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text)
  if (!m) return null
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
}

/** true/false when the version could be read, null otherwise. */
export function versionBelow(text: string | null | undefined, min: [number, number]): boolean | null {
  const v = parseVersion(text)
  if (!v) return null
  return v[0] < min[0] || (v[0] === min[0] && v[1] < min[1])
}

export function qemuVersions(model: LevelModel): Array<{path: string; version: string; source: string}> {
  return model.qemu.binaries.flatMap((b) => (b.version ? [{path: b.path, version: b.version, source: b.source}] : []))
}

/**
 * The QEMU binary that matters at a level: the one a running QEMU was started from, else the
 * emulator for the level's own architecture (qemu-system-x86_64, qemu-kvm, kvm), else any with a
 * version. Distributions install several (i386, microvm, ...) whose versions say less.
 */
export function mainQemuBinary(model: LevelModel, process?: QemuProcess): LevelModel['qemu']['binaries'][number] | null {
  const withVersion = model.qemu.binaries.filter((b) => b.version)
  const exe = process?.exe ?? model.qemu.processes[0]?.exe
  const arch = model.cpu.arch.value === 'amd64' ? 'x86_64' : model.cpu.arch.value
  const base = (p: string) => p.split('/').pop() ?? p
  return (
    withVersion.find((b) => exe && b.path === exe) ??
    withVersion.find((b) => (arch && base(b.path) === `qemu-system-${arch}`) || ['qemu-kvm', 'kvm'].includes(base(b.path))) ??
    withVersion.find((b) => isX86(model) && base(b.path) === 'qemu-system-x86_64') ??
    withVersion[0] ??
    null
  )
}

/** Short version ("8.2.2") of mainQemuBinary. */
export function shortQemuVersion(model: LevelModel, process?: QemuProcess): string | null {
  const v = parseVersion(mainQemuBinary(model, process)?.version)
  return v ? v.join('.') : null
}

export function describeProcess(p: QemuProcess): string {
  const name = p.name ? ` (-name ${p.name})` : ''
  return `QEMU pid ${p.pid}${name}`
}
