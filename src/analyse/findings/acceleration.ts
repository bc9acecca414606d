/**
 * Is the level below really accelerated? A guest started without -accel kvm, with libvirt
 * <domain type='qemu'>, or with accel=kvm:tcg after /dev/kvm failed runs under TCG emulation,
 * while its user believes it is nested KVM. The runtime truth (KVM fds, "CPU n/TCG" threads) of the
 * QEMU in the level above wins over its command line; from inside the guest, a TCG signature or the
 * absence of every KVM sign says the same (virtualization-facts.md §3, §6).
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import type {LevelModel, LevelName, QemuProcess} from '../../model/level.js'
import {at, below, describeProcess, evidence, finding, type Setup} from './common.js'

const PARAVIRT_KVM = new Set(['kvm', 'pvm'])

/** L1_ON_TCG and L2_ON_TCG (fail), L1_ON_KVM and L2_ON_KVM (pass). */
export function acceleratorBelow(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const upperName of ['L0', 'L1'] as const) {
    const lowerName = below(upperName)!
    const f = accelFor(setup, upperName, lowerName)
    if (f) out.push(f)
  }
  return out
}

function accelFor(setup: Setup, upperName: LevelName, lowerName: LevelName): Finding | null {
  const upper = at(setup, upperName)
  const lower = at(setup, lowerName)
  const tcg: FindingEvidence[] = []
  const kvm: FindingEvidence[] = []
  const tcgProcesses: QemuProcess[] = []
  if (upper) {
    for (const p of upper.qemu.processes) {
      const list = p.accel === 'tcg' ? tcg : p.accel === 'kvm' ? kvm : null
      if (!list) continue
      if (p.accel === 'tcg') tcgProcesses.push(p)
      list.push(evidence(upperName, `${describeProcess(p)}`, `accelerator ${p.accel}; requested: ${p.requestedAccel ?? 'nothing (qemu-system-* then defaults to TCG)'}`))
      for (const e of p.accelEvidence) list.push(evidence(upperName, e.source, e.fact))
    }
    for (const d of upper.libvirt.domains) {
      if (d.running && d.type === 'qemu') tcg.push(evidence(upperName, d.xmlSource ?? `libvirt domain ${d.name}`, `<domain type='qemu'> (TCG) for ${d.name}`))
    }
  }
  if (lower) {
    const hv = lower.virt.hypervisor
    if (hv === 'tcg') {
      for (const e of lower.virt.evidence.filter((x) => x.indicates === 'tcg' || x.indicates === 'bare-metal-or-tcg')) tcg.push(evidence(lowerName, e.source, e.fact))
      if (!tcg.some((e) => e.level === lowerName)) tcg.push(evidence(lowerName, 'derived', `${lowerName} detects it runs under TCG`))
    } else if (PARAVIRT_KVM.has(hv)) {
      const e = lower.virt.evidence.find((x) => x.indicates === hv)
      kvm.push(evidence(lowerName, e?.source ?? 'derived', e?.fact ?? `${lowerName} detects ${hv}`))
    }
  }
  if (tcg.length > 0) {
    return finding(`${lowerName}_ON_TCG`, 'fail', `${lowerName} runs under TCG emulation, not nested KVM`, [upper ? upperName : lowerName, ...(lower ? [lowerName] : [])], tcg,
      tcgAdvice(upperName, tcgProcesses, upper))
  }
  if (kvm.length > 0) {
    return finding(`${lowerName}_ON_KVM`, 'pass', `${lowerName} runs accelerated by KVM`, [upper ? upperName : lowerName, ...(lower ? [lowerName] : [])], kvm)
  }
  return null
}

function tcgAdvice(upperName: LevelName, processes: QemuProcess[], upper: LevelModel | undefined): string {
  const tips: string[] = []
  if (processes.some((p) => p.requestedAccel === null)) tips.push('qemu-system-* without an accelerator option runs TCG: add -accel kvm')
  if (processes.some((p) => /kvm\s*:\s*tcg|kvm.*tcg/.test(p.requestedAccel ?? ''))) {
    tips.push(`the kvm:tcg fallback hid a KVM failure: use -accel kvm alone so QEMU stops with the real error, and see the /dev/kvm and vmx/svm findings for ${upperName}`)
  }
  if (processes.some((p) => p.requestedAccel === 'tcg')) tips.push('-accel tcg was asked for explicitly: use -accel kvm')
  if (upper?.libvirt.domains.some((d) => d.running && d.type === 'qemu')) tips.push("libvirt <domain type='qemu'> means TCG: change it to <domain type='kvm'>")
  if (tips.length === 0) tips.push(`start the guest on ${upperName} with -accel kvm (libvirt: <domain type='kvm'>), after checking that /dev/kvm works on ${upperName}`)
  return `${tips.join('; ')}. A bug seen under TCG is a QEMU TCG bug, not a nested KVM bug: say so in the report.`
}
