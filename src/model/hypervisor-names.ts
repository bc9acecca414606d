/**
 * A hypervisor id in words. Apart from the zod model (level.ts) for the same reason as
 * level-schema-id.ts: detection and rendering run on every collect, and must not load zod.
 */
import type {HypervisorId} from './level.js'

const HYPERVISOR_NAMES: Record<HypervisorId, string> = {
  none: 'bare metal',
  kvm: 'KVM',
  tcg: 'QEMU TCG',
  pvm: 'KVM PVM',
  hyperv: 'Hyper-V',
  vmware: 'VMware',
  xen: 'Xen',
  virtualbox: 'VirtualBox',
  parallels: 'Parallels',
  bhyve: 'bhyve',
  zvm: 'z/VM',
  powervm: 'PowerVM',
  apple: 'Apple Virtualization',
  other: 'an unidentified hypervisor',
  unknown: 'an unknown hypervisor',
}

/** A hypervisor id in words, for reports and the reasons detection gives. */
export function hypervisorName(id: HypervisorId): string {
  return HYPERVISOR_NAMES[id]
}
