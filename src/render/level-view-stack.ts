/**
 * The level report's view of what runs guests at this level: the KVM modules and their
 * parameters, QEMU processes and libvirt domains.
 */
import type {LevelModel} from '../model/level.js'
import {onOff, yesNo} from './engine.js'
import {fromSourced, orNone, row} from './rows.js'

/**
 * Why a developer looks at a parameter when nested guests fail or crawl. A parameter with a note,
 * or one the parse stage lists in kvm.nesting, is highlighted in the parameter tables.
 */
export const PARAMETER_NOTES: Record<string, string> = {
  nested: 'exposes VMX/SVM to guests: required for an L1 hypervisor',
  ept: 'Intel two-level paging; without it L2 runs on shadow paging (slow)',
  npt: 'AMD two-level paging; without it L2 runs on shadow paging (slow)',
  enable_shadow_vmcs: 'shadow VMCS: fewer L1 exits on VMREAD/VMWRITE',
  enable_apicv: 'APIC virtualization: fewer exits for interrupts',
  unrestricted_guest: 'real-mode guests without emulation',
  nested_early_check: 'extra hardware checks on nested VM-entry (debugging)',
  vpid: 'tagged TLB entries: fewer flushes on L1/L2 switches',
  avic: 'AMD APIC virtualization',
  vls: 'virtual VMLOAD/VMSAVE for L1',
  vgif: 'virtual GIF for L1',
  nrips: 'next-RIP save, needed by L1 hypervisors on SVM',
  tdp_mmu: 'TDP MMU used for EPT/NPT page tables',
  ignore_msrs: 'unknown MSRs ignored instead of #GP (often set for nested Windows/Hyper-V)',
  nx_huge_pages: 'iTLB multihit mitigation; costs L1 performance',
  enlightened_vmcs: 'Hyper-V enlightened VMCS for KVM on Hyper-V',
}

/** The note for a highlighted parameter, or null when it does not bear on nesting. */
function nestingNote(model: LevelModel, module: string, parameter: string): string | null {
  const {nesting, vendorModule} = model.kvm
  const isSwitch = `${module}.${parameter}` in nesting || (parameter in nesting && (module === vendorModule || module === 'kvm'))
  return PARAMETER_NOTES[parameter] ?? (isSwitch ? 'a nesting switch (see above)' : null)
}

export function kvmSection(model: LevelModel) {
  const k = model.kvm
  const d = k.devKvm
  return {
    devKvm: [
      row('present', yesNo(d.present), d.source),
      row('accessible (read-write)', `${yesNo(d.accessible)} for uid ${model.capture.user.uid}`, d.source),
      row('mode', orNone(d.mode, 'unknown'), d.source),
      row('owner (uid:gid)', orNone(d.owner, 'unknown'), d.source),
      row('device number', orNone(d.rdev, 'unknown'), d.source),
    ],
    vendorModule: k.vendorModule ?? 'none identified',
    nesting: Object.entries(k.nesting)
      .filter(([, value]) => value !== null)
      .map(([name, value]) => row(name, onOff(value))),
    nestingAbsent: Object.entries(k.nesting)
      .filter(([, value]) => value === null)
      .map(([name]) => name),
    modules: k.modules.map((m) => ({
      name: m.name,
      loadedAs: m.loadedAs,
      version: m.version ?? '',
      srcversion: m.srcversion ?? '',
      source: m.source,
      parameterCount: Object.keys(m.parameters).length,
      parameters: Object.entries(m.parameters)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => {
          const note = nestingNote(model, m.name, name)
          return {name, value, nesting: note !== null, note: note ?? ''}
        }),
    })),
    modprobeOptions: k.modprobeOptions,
    loadFailures: k.loadFailures,
  }
}

export function qemuSection(model: LevelModel) {
  return {
    binaries: model.qemu.binaries.map((b) => ({path: b.path, version: b.version ?? 'unknown', source: b.source})),
    processes: model.qemu.processes.map((p) => {
      const mismatch = p.requestedAccel !== null && p.requestedAccel !== p.accel
      const requested = p.requestedAccel ?? 'none given (qemu-system-* defaults to TCG)'
      return {
        pid: p.pid,
        title: p.name ? `${p.name} (pid ${p.pid})` : `pid ${p.pid}`,
        accel: p.accel === 'unknown' ? 'unknown' : p.accel.toUpperCase(),
        accelNote: mismatch
          ? `runs on ${p.accel.toUpperCase()} although the command line asks for ${p.requestedAccel}`
          : `command line asks for: ${requested}`,
        facts: [
          row('Executable', orNone(p.exe, 'unknown'), `/proc/${p.pid}/exe`),
          row('-cpu', orNone(p.cpuModel, '(default)')),
          row('-machine', orNone(p.machine, '(default)')),
          row('KVM file descriptors', p.kvmFds === null ? 'unreadable' : String(p.kvmFds), `/proc/${p.pid}/fd`),
          row('vCPU threads', p.vcpuThreads.length > 0 ? p.vcpuThreads.join(', ') : 'none seen', `/proc/${p.pid}/task`),
          row('Incoming migration', yesNo(p.incomingMigration)),
        ],
        evidence: p.accelEvidence,
        argv: p.argv,
      }
    }),
  }
}

export function libvirtSection(model: LevelModel) {
  const l = model.libvirt
  return {
    versions: [fromSourced('libvirtd', l.libvirtdVersion), fromSourced('virsh', l.virshVersion)],
    domains: l.domains.map((d) => ({
      name: d.name,
      facts: [
        row('type', d.type === 'qemu' ? "qemu (TCG: no KVM acceleration)" : orNone(d.type, 'unknown'), d.xmlSource ?? ''),
        row('running', yesNo(d.running)),
        row('CPU mode', orNone(d.cpuMode, 'unknown'), d.xmlSource ?? ''),
        row('CPU model', orNone(d.cpuModel, '(none)'), d.xmlSource ?? ''),
        row('CPU features', d.cpuFeatures.map((f) => `${f.policy} ${f.name}`).join(', ') || '(none)', d.xmlSource ?? ''),
        row('Last start', orNone(d.lastStart, 'unknown'), d.logFile ?? ''),
      ],
      lastCommandLine: d.lastCommandLine,
      logFile: d.logFile ?? '',
      errors: d.errors,
    })),
  }
}
