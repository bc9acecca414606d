/**
 * The one-line verdict that opens a level report, e.g.
 * "L1: KVM guest (hypervisor flag, CPUID 0x40000000 = KVMKVMKVM, ...) that provides /dev/kvm
 * through kvm_pvm — not VMX/SVM; runs 1 QEMU guest: l2tcg on TCG".
 * It only words what the model already says; it decides nothing new.
 */
import {hypervisorName} from '../model/hypervisor-names.js'
import type {LevelModel} from '../model/level.js'

const ROLE_WORDS: Record<LevelModel['level']['detectedRole'], string> = {
  'bare-metal-host': 'bare-metal host',
  'guest-hypervisor': 'guest hypervisor',
  guest: 'guest',
  unknown: 'role unknown',
}

export function roleWords(role: LevelModel['level']['detectedRole']): string {
  return ROLE_WORDS[role]
}

/** Evidence about the VM, without the container evidence, which is reported separately. */
export function vmEvidence(model: LevelModel): LevelModel['virt']['evidence'] {
  return model.virt.evidence.filter((e) => e.indicates !== 'container')
}

function whatThisLevelIs(model: LevelModel): string {
  const facts = vmEvidence(model).map((e) => e.fact)
  const shown = facts.slice(0, 3).join(', ') + (facts.length > 3 ? ', ...' : '')
  const because = shown ? ` (${shown})` : ''
  if (model.virt.isGuest === true) return `${hypervisorName(model.virt.hypervisor)} guest${because}`
  if (model.virt.isGuest === false) return `bare-metal host${because}`
  return `not known whether guest or bare metal${because}`
}

/** What a hardware-virtualization flag says, when the architecture has one (x86). */
function hardwareVirt(model: LevelModel): string {
  const {vmx, svm} = model.cpu.virtFlags
  if (vmx) return ' on VMX'
  if (svm) return ' on SVM'
  const arch = model.cpu.arch.value
  return arch === null || /^(x86_64|i[3-6]86|amd64)$/.test(arch) ? ' — not VMX/SVM' : ''
}

function kvmDevice(model: LevelModel): string {
  const {devKvm, vendorModule, nesting, loadFailures} = model.kvm
  if (devKvm.present === true) {
    let out = ` that provides /dev/kvm through ${vendorModule ?? 'an unidentified module'}${hardwareVirt(model)}`
    if (nesting.nested === true) out += ', nested=on'
    if (nesting.nested === false) out += ', nested=OFF'
    if (devKvm.accessible === false) out += ` (/dev/kvm not accessible to uid ${model.capture.user.uid})`
    return out
  }
  if (devKvm.present === false) {
    const {vmx, svm} = model.cpu.virtFlags
    let out = ' without /dev/kvm'
    if (!vmx && !svm && hardwareVirt(model) !== '') out += ' (no vmx/svm flag)'
    if (loadFailures.length > 0) out += `; ${loadFailures[0].text}`
    return out
  }
  return '; /dev/kvm state unknown'
}

function accelWord(accel: string): string {
  return accel === 'unknown' ? 'an unknown accelerator' : accel.toUpperCase()
}

function guests(model: LevelModel): string {
  const procs = model.qemu.processes
  if (procs.length === 0) return ''
  if (procs.length <= 2) {
    const each = procs.map((p) => {
      const asked = p.requestedAccel && p.requestedAccel !== p.accel ? ` (asked for ${p.requestedAccel})` : ''
      return `${p.name ?? `pid ${p.pid}`} on ${accelWord(p.accel)}${asked}`
    })
    return `; runs ${procs.length} QEMU guest${procs.length === 1 ? '' : 's'}: ${each.join(', ')}`
  }
  const counts = new Map<string, number>()
  for (const p of procs) counts.set(p.accel, (counts.get(p.accel) ?? 0) + 1)
  const byAccel = [...counts].map(([accel, n]) => `${n} on ${accelWord(accel)}`)
  return `; runs ${procs.length} QEMU guests: ${byAccel.join(', ')}`
}

function kernelLog(model: LevelModel): string {
  const {oopses, panicked} = model.kernelLog
  const parts: string[] = []
  if (oopses.length > 0) {
    const kvm = oopses.filter((o) => o.kvmRelated).length
    parts.push(`${oopses.length} kernel oops/warning report${oopses.length === 1 ? '' : 's'}${kvm > 0 ? ` (${kvm} KVM-related)` : ''}`)
  }
  if (panicked) parts.push('the kernel panicked')
  return parts.length > 0 ? `; ${parts.join(', ')}` : ''
}

export function levelVerdict(model: LevelModel): string {
  const level = model.level.effective ?? 'Level unknown'
  return `${level}: ${whatThisLevelIs(model)}${kvmDevice(model)}${guests(model)}${kernelLog(model)}`
}
