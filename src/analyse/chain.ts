/**
 * The one-line picture of a nested setup a KVM developer reads first:
 * "L0 bare metal Intel Xeon ..., Linux 6.8, kvm_intel nested=Y -> L1 QEMU 8.2.2 -cpu host (KVM) ... -> L2 ... (TCG)".
 * Each level after L0 is described by how the level above runs it (its QEMU's version, -cpu and
 * accelerator truth); when that level's bundle is missing, by what the level itself detected.
 */
import type {CombinedLevel} from '../model/combined.js'
import {LEVEL_ORDER} from '../model/combined.js'
import type {LevelModel, LevelName} from '../model/level.js'
import {qemuRunningBelow, rawParam, shortQemuVersion, vendorModuleOf} from './findings/common.js'

const ACCEL_NAMES: Record<string, string> = {kvm: 'KVM', tcg: 'TCG', hvf: 'HVF', whpx: 'WHPX', xen: 'Xen', unknown: 'accelerator unknown'}
/** Short forms for the one-line chain ("under TCG"); model/hypervisor-names.ts words them for prose. */
const CHAIN_HYPERVISOR_NAMES: Record<string, string> = {kvm: 'KVM', tcg: 'TCG', pvm: 'PVM', hyperv: 'Hyper-V', vmware: 'VMware', xen: 'Xen', none: 'bare metal'}

export function chainText(levels: CombinedLevel[]): string {
  const byLevel = new Map(levels.map((l) => [l.level, l.model]))
  const last = Math.max(...levels.map((l) => LEVEL_ORDER.indexOf(l.level)))
  // The innermost level shown is the last bundle's, or the guest it runs when it runs one.
  const runsGuest = (byLevel.get(LEVEL_ORDER[last])?.qemu.processes.length ?? 0) > 0
  const end = Math.min(Math.max(last + (runsGuest ? 1 : 0), 1), LEVEL_ORDER.length - 1)
  const parts: string[] = []
  for (const [i, name] of LEVEL_ORDER.entries()) {
    if (i > end) break
    const model = byLevel.get(name)
    const upper = i > 0 ? byLevel.get(LEVEL_ORDER[i - 1]) : undefined
    parts.push(segment(name, model, upper))
  }
  return parts.join(' -> ')
}

function segment(name: LevelName, model: LevelModel | undefined, upper: LevelModel | undefined): string {
  const how = name === 'L0' ? (model ? l0How(model) : null) : runBy(upper, model)
  if (!model) return `${name} ${how ? `${how} ` : ''}(no bundle)`
  return [`${name} ${how ?? 'running under an unknown hypervisor'}`, ...self(model)].join(', ')
}

function l0How(model: LevelModel): string {
  const hv = model.virt.hypervisor
  if (hv === 'none' || model.virt.isGuest === false) return 'bare metal'
  return `guest of ${model.virt.hypervisorDetail ?? CHAIN_HYPERVISOR_NAMES[hv] ?? hv} (not bare metal)`
}

/** "QEMU 8.2.2 -cpu host (KVM)" from the QEMU above, else "under TCG" from the level's own view. */
function runBy(upper: LevelModel | undefined, model: LevelModel | undefined): string | null {
  const below = upper ? qemuRunningBelow(upper, model) : null
  if (below) {
    const p = below.process
    const version = shortQemuVersion(upper!, p)
    return `QEMU${version ? ` ${version}` : ''}${p.cpuModel ? ` -cpu ${p.cpuModel}` : ''} (${ACCEL_NAMES[p.accel] ?? p.accel})`
  }
  if (!model) return null
  const hv = model.virt.hypervisor
  if (hv === 'unknown' || hv === 'none') return null
  const name = CHAIN_HYPERVISOR_NAMES[hv] ?? hv
  const detail = model.virt.hypervisorDetail
  // "Firecracker (KVM)" already names the hypervisor; "QEMU" alone does not.
  if (detail && detail.includes(name)) return `under ${detail}`
  return `under ${name}${detail ? ` (${detail})` : ''}`
}

function self(model: LevelModel): string[] {
  const out: string[] = []
  if (model.cpu.modelName.value) out.push(model.cpu.modelName.value)
  if (model.kernel.release.value) out.push(`Linux ${model.kernel.release.value}`)
  const module = vendorModuleOf(model)
  if (module) {
    const nested = rawParam(model, module, 'nested')
    out.push(`KVM ${module}${nested ? ` nested=${nested}` : ''}`)
  } else if (model.kvm.devKvm.present === false) {
    out.push('no KVM')
  }
  return out
}
