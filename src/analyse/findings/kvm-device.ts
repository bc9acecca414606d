/**
 * /dev/kvm at the levels that must run guests (L0 and L1), and which kernel module provides it.
 * A /dev/kvm from a module that is neither kvm_intel nor kvm_amd (PVM's kvm_pvm) works without
 * VMX/SVM, so virt-host-validate and kvm-ok report false FAILs and stock guest kernels do not boot
 * as its guests (virtualization-facts.md §4, §7).
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import type {LevelModel, LevelName} from '../../model/level.js'
import {evidence, finding, HYPERVISOR_LEVELS, levelOf, nonVmxSvmKvmModule, type Setup} from './common.js'

/** DEV_KVM_MISSING (fail), DEV_KVM_INACCESSIBLE (warn), DEV_KVM_OK (pass) for L0 and L1. */
export function devKvm(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    if (!name || !HYPERVISOR_LEVELS.includes(name)) continue
    const f = devKvmAt(model, name)
    if (f) out.push(f)
  }
  return out
}

function devKvmAt(model: LevelModel, name: LevelName): Finding | null {
  const dev = model.kvm.devKvm
  const source = dev.source || '/dev/kvm'
  const modeText = [dev.mode, dev.owner ? `owner ${dev.owner}` : null, dev.rdev ? `rdev ${dev.rdev}` : null].filter(Boolean).join(', ')
  if (dev.present === false) {
    const ev: FindingEvidence[] = [evidence(name, source, '/dev/kvm does not exist')]
    for (const f of model.kvm.loadFailures) ev.push(evidence(name, f.source, f.text))
    const vendor = model.cpu.virtFlags.vmx ? 'kvm_intel' : model.cpu.virtFlags.svm ? 'kvm_amd' : null
    const advice = vendor
      ? `Load the module on ${name}: modprobe ${vendor} and read the kernel log for why it failed (disabled by BIOS, already loaded, ...).`
      : name === 'L1'
        ? 'L1 has no vmx/svm, so no vendor module can load: fix VMX_NOT_EXPOSED on L0 first.'
        : 'Enable VT-x/AMD-V in the firmware setup, then modprobe kvm_intel or kvm_amd.'
    return finding('DEV_KVM_MISSING', 'fail', `/dev/kvm is missing on ${name}`, [name], ev, advice)
  }
  if (dev.present === true && dev.accessible === false) {
    const ev = [evidence(name, source, `present (${modeText || 'mode unknown'}) but the capturing user (uid ${model.capture.user.uid}) cannot open it read-write`)]
    return finding('DEV_KVM_INACCESSIBLE', 'warn', `/dev/kvm on ${name} is not accessible to the capturing user`, [name], ev,
      `On ${name}: add the user that runs QEMU to the group owning /dev/kvm (usermod -aG kvm USER, then log in again), or fix the udev rule that sets its mode (usually 0660 root:kvm); libvirt's system instance runs QEMU as its own user and may not be affected.`)
  }
  if (dev.present === true) {
    return finding('DEV_KVM_OK', 'pass', `/dev/kvm is present${dev.accessible ? ' and accessible' : ''} on ${name}`, [name], [evidence(name, source, modeText || 'present')])
  }
  return null
}

/** KVM_NON_VMX_SVM_MODULE (warn): KVM comes from a module other than kvm_intel/kvm_amd and the CPU has no vmx/svm. */
export function nonVmxSvmModule(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    const module = nonVmxSvmKvmModule(model)
    if (!name || !module) continue
    if (model.cpu.virtFlags.vmx || model.cpu.virtFlags.svm) continue
    const mod = model.kvm.modules.find((m) => m.name === module)
    const ev: FindingEvidence[] = [
      evidence(name, mod?.source ?? `/sys/module/${module}`, `${module} loaded (${mod?.loadedAs ?? 'unknown'})${model.kvm.devKvm.present ? ', /dev/kvm present' : ''}`),
      evidence(name, model.cpu.flagsSource || '/proc/cpuinfo', 'no vmx or svm flag'),
    ]
    const cmdline = model.kernel.cmdline.value
    const nestedPvm = cmdline ? /\S*pvm\S*/.exec(cmdline) : null
    if (nestedPvm) ev.push(evidence(name, model.kernel.cmdline.source || '/proc/cmdline', nestedPvm[0]))
    out.push(
      finding('KVM_NON_VMX_SVM_MODULE', 'warn', `KVM on ${name} is provided by ${module}, not by kvm_intel or kvm_amd`, [name], ev,
        `${module === 'kvm_pvm' ? 'This is PVM (paravirtualized KVM, virt-pvm/linux, not mainline): it' : `${module}`} runs guests without VMX/SVM. ` +
          'A stock distribution kernel does not boot as its guest (it needs CONFIG_PVM_GUEST); use a PVM-enabled guest kernel, or TCG for stock kernels. ' +
          'virt-host-validate and kvm-ok report false FAILs here. Report bugs of this stack to the PVM maintainers, not as upstream nested-KVM bugs.'),
    )
  }
  return out
}
