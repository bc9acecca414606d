/**
 * Variants of the hand-built LevelModels in level-model.ts for finding and combine tests: an AMD
 * host, a KVM guest hypervisor running a KVM L2, and an L2 under KVM or TCG. Each builder returns a
 * fresh object; `edit` clones a model and lets a test change just the fact it is about.
 */
import type {LevelModel, LevelName, QemuProcess} from '../../src/model/level.js'
import {intelL0Model, pvmL1Model} from './level-model.js'

export {intelL0Model, pvmL1Model}

export function edit(model: LevelModel, change: (m: LevelModel) => void): LevelModel {
  const copy = structuredClone(model)
  change(copy)
  return copy
}

export function asLevel(model: LevelModel, level: LevelName | null, detected: LevelName | null = level): LevelModel {
  return edit(model, (m) => {
    m.level.detected = detected
    m.level.effective = level
  })
}

const src = <T>(value: T | null, source: string) => ({value, source})

export function qemuProcess(over: Partial<QemuProcess> = {}): QemuProcess {
  return {
    pid: 7001,
    exe: '/usr/bin/qemu-system-x86_64',
    argv: ['/usr/bin/qemu-system-x86_64', '-name', 'guest=l2,debug-threads=on', '-accel', 'kvm', '-cpu', 'host'],
    name: 'l2',
    requestedAccel: 'kvm',
    accel: 'kvm',
    accelEvidence: [{fact: 'holds /dev/kvm and anon_inode:kvm-vm', source: '/proc/7001/fd', indicates: 'kvm'}],
    kvmFds: 3,
    vcpuThreads: ['CPU 0/KVM'],
    cpuModel: 'host',
    machine: 'q35',
    incomingMigration: false,
    ...over,
  }
}

/** AMD bare-metal L0, kvm_amd nested=1 npt=1, running L1 with -cpu host on KVM. */
export function amdL0Model(): LevelModel {
  return edit(intelL0Model(), (m) => {
    m.capture.label = 'amd-l0'
    m.cpu.modelName = src('AMD EPYC 7763 64-Core Processor', '/proc/cpuinfo')
    m.cpu.vendor = src('AuthenticAMD', '/proc/cpuinfo')
    m.cpu.flags = m.cpu.flags.filter((f) => f !== 'vmx').concat(['svm', 'npt', 'vgif'])
    m.cpu.virtFlags = {vmx: false, svm: true, hypervisor: false}
    m.cpu.lscpu = {hypervisorVendor: null, virtualizationType: null, virtualization: 'AMD-V'}
    m.kernel.tainted = {value: 0, source: '/proc/sys/kernel/tainted', flags: []}
    m.kernel.hostname = src('epyc-host', '/proc/sys/kernel/hostname')
    m.kvm.modules = [
      m.kvm.modules[0],
      {name: 'kvm_amd', loadedAs: 'module', version: null, srcversion: 'AB12', parameters: {nested: '1', npt: '1', avic: 'N', vls: '1', vgif: '1', nrips: '1'}, source: '/sys/module/kvm_amd/parameters'},
    ]
    m.kvm.vendorModule = 'kvm_amd'
    m.kvm.nesting = {nested: true, npt: true, avic: false, vls: true, vgif: true, nrips: true}
    m.kvm.modprobeOptions = []
    m.kernelLog.oopses = []
    m.kernelLog.kvmMessages = []
  })
}

/** A KVM guest hypervisor (L1) on `vendor`, -cpu host from L0, running an L2 on KVM. */
export function kvmL1Model(vendor: 'intel' | 'amd' = 'amd'): LevelModel {
  const base = vendor === 'amd' ? amdL0Model() : intelL0Model()
  return edit(base, (m) => {
    m.capture.label = `${vendor}-l1`
    m.level = {detected: 'L1', detectedRole: 'guest-hypervisor', reasons: ['hypervisor flag set', 'KVMKVMKVM signature', '/dev/kvm present'], override: null, effective: 'L1'}
    m.cpu.virtFlags = {...m.cpu.virtFlags, hypervisor: true}
    m.cpu.flags = [...m.cpu.flags, 'hypervisor']
    m.kernel.hostname = src('l1', '/proc/sys/kernel/hostname')
    m.kernel.tainted = {value: 0, source: '/proc/sys/kernel/tainted', flags: []}
    m.virt = {
      ...m.virt,
      isGuest: true,
      hypervisor: 'kvm',
      hypervisorDetail: 'QEMU',
      evidence: [{fact: 'CPUID 0x40000000 = KVMKVMKVM', source: '/dev/cpu/0/cpuid', indicates: 'kvm'}],
      dmi: {sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)'},
    }
    m.qemu.processes = [qemuProcess()]
    m.libvirt.domains = []
    m.kernelLog.oopses = []
  })
}

/** An L2 guest under `hypervisor` (kvm or tcg): no /dev/kvm, no QEMU of its own. */
export function l2Model(hypervisor: 'kvm' | 'tcg' = 'kvm', vendor: 'intel' | 'amd' = 'amd'): LevelModel {
  return edit(kvmL1Model(vendor), (m) => {
    m.capture.label = `l2-${hypervisor}`
    m.level = {detected: 'L2', detectedRole: 'guest', reasons: ['hypervisor flag set', 'no /dev/kvm'], override: null, effective: 'L2'}
    m.kernel.hostname = src('l2', '/proc/sys/kernel/hostname')
    m.kvm = {devKvm: {present: false, accessible: null, mode: null, owner: null, rdev: null, source: '/dev/kvm'}, modules: [], vendorModule: null, nesting: {}, modprobeOptions: [], loadFailures: []}
    m.virt.hypervisor = hypervisor
    m.virt.hypervisorDetail = hypervisor === 'tcg' ? 'QEMU (TCG)' : 'QEMU'
    m.virt.evidence =
      hypervisor === 'tcg'
        ? [{fact: 'CPUID 0x40000000 = TCGTCGTCGTCG', source: '/dev/cpu/0/cpuid', indicates: 'tcg'}]
        : [{fact: 'CPUID 0x40000000 = KVMKVMKVM', source: '/dev/cpu/0/cpuid', indicates: 'kvm'}]
    m.qemu = {binaries: [], processes: []}
    m.libvirt = {libvirtdVersion: src(null, ''), virshVersion: src(null, ''), domains: []}
  })
}

export function ids(findings: Array<{id: string; severity: string}>): string[] {
  return findings.map((f) => `${f.id}:${f.severity}`)
}
