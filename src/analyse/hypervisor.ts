/**
 * Which hypervisor is below this level. Every signal (hypervisor-votes.ts) becomes an Evidence line
 * with a weight; the answer is the hypervisor with the most weight, with two rules the weights
 * cannot express (shared/notes/virtualization-facts.md §1-§3, §8):
 * - TCG: QEMU is visible (DMI, systemd-detect-virt, virt-what) or only the hypervisor flag is,
 *   and there is no KVM signature, no kvm-clock and no "Hypervisor detected" line of any vendor.
 * - A KVM signature at 0x40000100 means KVM exposing Hyper-V enlightenments, whatever 0x40000000 says.
 */
import type {Evidence, HypervisorId} from '../model/level.js'
import {collectVotes, hypervisorLabel, kernelLogLines, type HypervisorInputs, type Indication, type LogLine, type Vote} from './hypervisor-votes.js'

export interface HypervisorVerdict {
  isGuest: boolean | null
  hypervisor: HypervisorId
  hypervisorDetail: string | null
  evidence: Evidence[]
  /** Sentences for LevelInfo.reasons. */
  reasons: string[]
}

/** Indications that name a hypervisor, as opposed to "a guest", "QEMU (accelerator unknown)" or bare metal. */
const CONCRETE = new Set<Indication>(['kvm', 'tcg', 'pvm', 'hyperv', 'vmware', 'xen', 'virtualbox', 'parallels', 'bhyve', 'zvm', 'powervm', 'apple', 'other'])

export function detectHypervisor(inp: HypervisorInputs): HypervisorVerdict {
  const log = kernelLogLines(inp.kernelLog)
  const votes = collectVotes(inp, log)
  const evidence = votes.map((v) => v.evidence)
  const total = (pred: (v: Vote) => boolean) => votes.filter(pred).reduce((s, v) => s + v.weight, 0)
  const guestWeight = total((v) => v.indicates !== 'bare-metal')
  const bareWeight = total((v) => v.indicates === 'bare-metal')
  const reasons: string[] = []

  if (guestWeight === 0 && bareWeight === 0) {
    reasons.push('no evidence either way (no CPU flags, CPUID, DMI, kernel log or detection tools in the capture)')
    return {isGuest: null, hypervisor: 'unknown', hypervisorDetail: null, evidence, reasons}
  }
  if (bareWeight >= guestWeight) {
    const facts = votes.filter((v) => v.indicates === 'bare-metal' && v.weight > 0).map((v) => v.evidence.fact)
    reasons.push(`bare metal: ${facts.join('; ')}`)
    return {isGuest: false, hypervisor: 'none', hypervisorDetail: null, evidence, reasons}
  }

  const scores = new Map<Indication, number>()
  for (const v of votes) if (CONCRETE.has(v.indicates)) scores.set(v.indicates, (scores.get(v.indicates) ?? 0) + v.weight)
  let hypervisor: HypervisorId = 'unknown'
  let best = 0
  for (const [id, score] of scores) {
    if (score > best) {
      best = score
      hypervisor = id as HypervisorId
    }
  }
  const kvmBehindHyperv = inp.cpuidSignatures.some((s) => s.leaf === 0x4000_0100 && /^KVMKVMKVM$/.test(s.signature))
  if (kvmBehindHyperv) hypervisor = 'kvm'
  // A PVM guest is also a KVM guest by every other signal; its own announcement is the specific answer.
  if ((scores.get('pvm') ?? 0) > 0) hypervisor = 'pvm'

  const sawKvm = (scores.get('kvm') ?? 0) > 0 || (scores.get('pvm') ?? 0) > 0
  const sawDetectedLine = votes.some((v) => /Hypervisor detected/.test(v.evidence.fact))
  const qemuVisible = votes.some((v) => v.indicates === 'qemu')
  if (hypervisor === 'unknown' && !sawKvm && !sawDetectedLine) {
    if (negativeKvmEvidenceExamined(inp)) {
      hypervisor = 'tcg'
      reasons.push(
        `${qemuVisible ? 'QEMU is visible' : 'only the hypervisor flag says guest'}, and there is no KVM CPUID signature, no kvm-clock and no "Hypervisor detected" line: QEMU without acceleration (TCG)`,
      )
    } else {
      reasons.push('a guest, but the capture holds neither CPUID, clocksources nor a boot kernel log to tell KVM from TCG')
    }
  }

  if (hypervisor === 'tcg' && reasons.length === 0) {
    reasons.push(sawKvm || sawDetectedLine ? 'TCG signature despite KVM evidence: check the evidence list' : 'no KVM CPUID signature, no kvm-clock and no "Hypervisor detected" line: not KVM-accelerated')
  }
  const detail = hypervisorDetail(hypervisor, inp, log, kvmBehindHyperv)
  if (detail.evidence) evidence.push(detail.evidence)
  const top = votes.filter((v) => v.indicates === hypervisor && v.weight > 0).map((v) => v.evidence.fact)
  if (top.length > 0) reasons.unshift(`a guest of ${detail.text ?? hypervisorLabel(hypervisor)}: ${top.join('; ')}`)
  else if (hypervisor !== 'tcg') reasons.unshift(`a guest of ${hypervisorLabel(hypervisor)}`)
  return {isGuest: true, hypervisor, hypervisorDetail: detail.text, evidence, reasons}
}

/** TCG is inferred from absences; they only count when a source that would show KVM was read. */
function negativeKvmEvidenceExamined(inp: HypervisorInputs): boolean {
  const bootLog = inp.kernelLog !== null && /Linux version|Command line:/.test(inp.kernelLog.text)
  return inp.cpu.cpuid !== null || inp.virt.clocksource.available.length > 0 || bootLog || inp.cpu.lscpu !== null
}

function hypervisorDetail(hypervisor: HypervisorId, inp: HypervisorInputs, log: LogLine[], kvmBehindHyperv: boolean): {text: string | null; evidence?: Evidence} {
  const dmi = inp.virt.dmi
  const machineType = dmi.product_version && /^pc-|^virt-|^pseries|^s390-ccw/.test(dmi.product_version) ? dmi.product_version : null
  switch (hypervisor) {
    case 'kvm': {
      if (kvmBehindHyperv) return {text: 'KVM (with Hyper-V enlightenments)'}
      const fc = firecrackerEvidence(inp, log)
      if (fc) return {text: 'Firecracker (KVM)', evidence: fc}
      if (/^Amazon EC2/.test(dmi.sys_vendor ?? '')) return {text: 'Amazon EC2 (KVM)'}
      if (/^Google/.test(dmi.sys_vendor ?? dmi.product_name ?? '')) return {text: 'Google Compute Engine (KVM)'}
      if (/^QEMU/.test(dmi.sys_vendor ?? '') || /^KVM/.test(dmi.product_name ?? '')) return {text: `QEMU/KVM${machineType ? ` (machine ${machineType})` : ''}`}
      return {text: 'KVM'}
    }
    case 'tcg':
      return {text: `QEMU TCG${machineType ? ` (machine ${machineType})` : ''}`}
    case 'xen': {
      const kind = log.map((l) => /Hypervisor detected: (Xen \S+)/.exec(l.text)?.[1]).find(Boolean)
      const dom0 = /control_d/.test(inp.virt.xenCapabilities ?? '') ? ' dom0' : ''
      return {text: `${kind ?? 'Xen'}${dom0}`}
    }
    case 'unknown':
      return {text: null}
    default:
      return {text: hypervisorLabel(hypervisor)}
  }
}

/**
 * Firecracker has no SMBIOS (no DMI at all) and names itself in the ACPI OEM ID "FIRECK"; older
 * builds without ACPI use virtio-mmio devices. Both parts must be seen: no DMI alone also fits
 * arm64 boards and kvmtool, and a QEMU microvm uses virtio-mmio with DMI.
 */
function firecrackerEvidence(inp: HypervisorInputs, log: LogLine[]): Evidence | null {
  const noDmiLine = log.find((l) => /DMI not present or invalid|DMI: not present/.test(l.text))
  const noDmi = inp.virt.dmiPresent === false || noDmiLine !== undefined
  if (!noDmi) return null
  const dmiWhy = noDmiLine ? `kernel: "DMI not present or invalid" (${noDmiLine.source})` : 'no /sys/class/dmi/id'
  const fireck = log.find((l) => /ACPI: \w+ .*\bFIRECK\b/.test(l.text))
  if (fireck) {
    return {
      fact: `${dmiWhy}, and ACPI tables with OEM ID FIRECK (Firecracker's): "${fireck.text.trim()}"`,
      source: fireck.source,
      indicates: 'firecracker',
    }
  }
  const mmio = log.find((l) => /virtio[-_]mmio/.test(l.text))
  const mmioCmdline = inp.cmdline && /virtio_mmio\.device=/.test(inp.cmdline)
  if (mmio || mmioCmdline) {
    return {
      fact: `${dmiWhy}, and virtio-mmio devices ${mmio ? `("${mmio.text.trim()}")` : 'on the kernel command line'}`,
      source: mmio?.source ?? '/proc/cmdline',
      indicates: 'firecracker',
    }
  }
  return null
}
