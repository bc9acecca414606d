/**
 * The side-by-side table of the combined report: one row per fact, one column per level, values as
 * display strings (null = unknown at that level). Parameter rows follow the nesting parameters any
 * level has, so a vendor module such as kvm_pvm shows up with its own parameters.
 */
import type {CombinedLevel, ComparisonRow} from '../model/combined.js'
import type {LevelModel, LevelName} from '../model/level.js'
import {below, qemuRunningBelow, STANDARD_VENDOR_MODULES, vendorModuleOf} from './findings/common.js'

/** Nesting parameters in the order a developer scans them; others follow alphabetically. */
const PARAM_ORDER = ['nested', 'ept', 'enable_shadow_vmcs', 'enable_apicv', 'unrestricted_guest', 'vpid', 'npt', 'avic', 'vls', 'vgif', 'nrips']

/**
 * Rows whose values should be equal across a healthy chain: with -cpu host every level sees the
 * same CPU, and nesting switches differing between levels explain different behaviour. Other rows
 * (kernel, host, role) differ by nature and are not flagged.
 */
const SHOULD_MATCH = /^(cpu-model|cpu-vendor|param-.*)$/

type Getter = (model: LevelModel, all: Map<LevelName, LevelModel>) => string | null

function row(levels: CombinedLevel[], key: string, label: string, get: Getter): ComparisonRow {
  const all = new Map(levels.map((l) => [l.level, l.model]))
  const values: ComparisonRow['values'] = {}
  for (const l of levels) values[l.level] = get(l.model, all)
  const distinct = new Set(Object.values(values).filter((v) => v !== null && v !== undefined))
  return {key, label, values, differs: SHOULD_MATCH.test(key) && distinct.size > 1}
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no')

function lowerOf(model: LevelModel, all: Map<LevelName, LevelModel>): LevelModel | undefined {
  const name = model.level.effective
  const lower = name ? below(name) : null
  return lower ? all.get(lower) : undefined
}

function oopsCounts(model: LevelModel): string | null {
  if (model.kernelLog.source === null) return null
  const warnings = model.kernelLog.oopses.filter((o) => o.kind === 'warning').length
  const others = model.kernelLog.oopses.length - warnings
  return `${others} oops/BUG, ${warnings} WARNING${model.kernelLog.panicked ? ', panicked' : ''}`
}

function paramValue(model: LevelModel, param: string): string | null {
  const module = vendorModuleOf(model)
  const raw = model.kvm.modules.find((m) => m.name === module)?.parameters[param] ?? model.kvm.modules.find((m) => param in m.parameters)?.parameters[param]
  if (raw !== undefined) return raw
  const b = model.kvm.nesting[param]
  return b === undefined || b === null ? null : b ? 'Y' : 'N'
}

export function buildComparison(levels: CombinedLevel[]): ComparisonRow[] {
  const models = levels.map((l) => l.model)
  const rows: ComparisonRow[] = [
    row(levels, 'bundle', 'Bundle', (m) => levels.find((l) => l.model === m)?.bundle ?? null),
    row(levels, 'role', 'Detected role', (m) => `${m.level.detectedRole}${m.level.detected ? ` (${m.level.detected})` : ''}`),
    row(levels, 'runs-under', 'Runs under', (m) => (m.virt.hypervisor === 'none' ? 'bare metal' : `${m.virt.hypervisor}${m.virt.hypervisorDetail ? ` (${m.virt.hypervisorDetail})` : ''}`)),
    row(levels, 'container', 'Container', (m) => m.virt.container.kind ?? 'none'),
    row(levels, 'cpu-model', 'CPU model', (m) => m.cpu.modelName.value),
    row(levels, 'cpu-vendor', 'CPU vendor', (m) => m.cpu.vendor.value),
    row(levels, 'virt-flags', 'vmx / svm / hypervisor', (m) => `${yesNo(m.cpu.virtFlags.vmx)} / ${yesNo(m.cpu.virtFlags.svm)} / ${yesNo(m.cpu.virtFlags.hypervisor)}`),
    row(levels, 'kernel', 'Kernel', (m) => m.kernel.release.value),
    row(levels, 'distribution', 'Distribution', (m) => m.kernel.os.prettyName),
    row(levels, 'qemu', 'QEMU', (m) => [...new Set(m.qemu.binaries.map((b) => b.version).filter(Boolean))].join(', ') || null),
    row(levels, 'libvirt', 'libvirt', (m) => m.libvirt.libvirtdVersion.value ?? m.libvirt.virshVersion.value),
    row(levels, 'dev-kvm', '/dev/kvm', (m) => devKvmText(m)),
    row(levels, 'kvm-module', 'KVM module', (m) => {
      const module = vendorModuleOf(m)
      if (!module) return 'none'
      const loadedAs = m.kvm.modules.find((x) => x.name === module)?.loadedAs
      return `${module}${loadedAs && loadedAs !== 'unknown' ? ` (${loadedAs})` : ''}`
    }),
  ]
  const params = new Set<string>()
  // Dotted keys ("kvm_pvm.force") belong to a vendor module: its own row below lists them.
  for (const m of models) for (const [k, v] of Object.entries(m.kvm.nesting)) if (v !== null && !k.includes('.')) params.add(k)
  const ordered = [...PARAM_ORDER.filter((p) => params.has(p)), ...[...params].filter((p) => !PARAM_ORDER.includes(p)).sort()]
  for (const p of ordered) rows.push(row(levels, `param-${p}`, `kvm: ${p}`, (m) => paramValue(m, p)))
  const extraModules = new Set<string>()
  for (const m of models) {
    for (const mod of m.kvm.modules) {
      if (mod.name !== 'kvm' && !(STANDARD_VENDOR_MODULES as readonly string[]).includes(mod.name) && Object.keys(mod.parameters).length > 0) extraModules.add(mod.name)
    }
  }
  for (const name of [...extraModules].sort()) {
    rows.push(
      row(levels, `module-${name}`, `${name} parameters`, (m) => {
        const mod = m.kvm.modules.find((x) => x.name === name)
        return mod ? Object.entries(mod.parameters).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(' ') : null
      }),
    )
  }
  rows.push(
    row(levels, 'accel-below', 'Accelerator of the QEMU running the level below', (m, all) => {
      if (m.qemu.processes.length === 0) return 'no QEMU running'
      const below = qemuRunningBelow(m, lowerOf(m, all))
      if (below) return below.process.accel
      return m.qemu.processes.length > 1 ? m.qemu.processes.map((p) => `${p.name ?? p.pid}: ${p.accel}`).join(', ') : null
    }),
    row(levels, 'cpu-below', '-cpu of the QEMU running the level below', (m, all) => {
      if (m.qemu.processes.length === 0) return 'no QEMU running'
      const below = qemuRunningBelow(m, lowerOf(m, all))
      if (below) return below.process.cpuModel ?? '(none: default model)'
      return m.qemu.processes.length > 1 ? m.qemu.processes.map((p) => `${p.name ?? p.pid}: ${p.cpuModel ?? '(default)'}`).join(', ') : null
    }),
    row(levels, 'oopses', 'Kernel oops / WARNING', (m) => oopsCounts(m)),
    row(levels, 'tainted', 'Tainted', (m) => (m.kernel.tainted.value === null ? null : m.kernel.tainted.value === 0 ? 'no' : `${m.kernel.tainted.value} (${m.kernel.tainted.flags.map((f) => f.letter).join('')})`)),
  )
  return rows
}

function devKvmText(m: LevelModel): string | null {
  const d = m.kvm.devKvm
  if (d.present === null) return null
  if (!d.present) return 'missing'
  return ['present', d.mode, d.owner, d.accessible === true ? 'accessible' : d.accessible === false ? 'not accessible' : null].filter(Boolean).join(', ')
}
