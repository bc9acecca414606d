/**
 * QEMU-side KVM failures that never reach dmesg: they sit in the libvirt domain log of the level
 * that runs the guest. "failed to set MSR 0x10a" followed by an assertion is QEMU aborting because
 * the KVM below refused an MSR of the -cpu model (seen on PVM with -cpu host: IA32_ARCH_CAPABILITIES);
 * "KVM: entry failed, hardware error" and "KVM internal error" are VM-entry failures worth a bug of
 * their own (kernel-log-formats.md #35, virtualization-facts.md §7).
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import {evidence, finding, HYPERVISOR_LEVELS, levelOf, type Setup} from './common.js'

const MSR_REFUSED = /failed to (set|get) MSR (0x[0-9a-f]+)/i
const ENTRY_FAILED = /KVM: entry failed|KVM internal error/i

/** QEMU_MSR_REFUSED (fail) and KVM_ENTRY_FAILED (fail), per level that runs guests. */
export function qemuKvmErrors(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    if (!name || !HYPERVISOR_LEVELS.includes(name)) continue
    const msr: FindingEvidence[] = []
    const entry: FindingEvidence[] = []
    const msrs = new Set<string>()
    for (const d of model.libvirt.domains) {
      for (const e of d.errors) {
        const where = `${d.logFile ?? `libvirt domain ${d.name}`} line ${e.line}`
        const m = MSR_REFUSED.exec(e.text)
        if (m) {
          msrs.add(m[2].toLowerCase())
          msr.push(evidence(name, where, e.text))
        } else if (ENTRY_FAILED.test(e.text)) {
          entry.push(evidence(name, where, e.text))
        }
      }
    }
    if (msr.length > 0) {
      const archCapabilities = msrs.has('0x10a')
      out.push(
        finding('QEMU_MSR_REFUSED', 'fail', `QEMU at ${name} stopped: the KVM below refused MSR ${[...msrs].join(', ')}`, [name], msr,
          archCapabilities
            ? 'MSR 0x10a is IA32_ARCH_CAPABILITIES: start the guest with -cpu host,-arch-capabilities (or a named model without it), and report the refusal against the KVM of this level.'
            : 'Drop the CPU feature behind that MSR from -cpu, or use a named model the KVM of this level supports; report the refusal against the KVM of this level.'),
      )
    }
    if (entry.length > 0) {
      out.push(
        finding('KVM_ENTRY_FAILED', 'fail', `A guest of ${name} failed VM entry (QEMU log)`, [name], entry,
          'Attach the whole domain log (the register dump follows the error line) and the kernel logs of this level and the one above; when the failing guest is an L2 on Intel, load kvm_intel with nested_early_check=1 on L0 so invalid VMCS state is caught at VM entry.'),
      )
    }
  }
  return out
}
