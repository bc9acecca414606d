/**
 * The signals that tell which hypervisor is below a level, each turned into a Vote: what it
 * indicates and how much it weighs. detectHypervisor (hypervisor.ts) adds them up.
 */
import {hypervisorName} from '../model/hypervisor-names.js'
import type {CpuFacts, Evidence, HypervisorId} from '../model/level.js'
import type {LogText} from '../parse/kernel-log.js'
import type {VirtRaw} from '../parse/virt.js'
import {LineNormaliser} from './kernel-log/normalise.js'

export type Indication = HypervisorId | 'qemu' | 'guest' | 'bare-metal'

export interface Vote {
  indicates: Indication
  weight: number
  evidence: Evidence
}

export interface HypervisorInputs {
  cpu: Pick<CpuFacts, 'virtFlags' | 'cpuid' | 'lscpu' | 'modelName' | 'flags' | 'flagsSource'>
  /** All trusted hypervisor-leaf signatures (0x40000000 and 0x40000100) with where they came from. */
  cpuidSignatures: Array<{leaf: number; signature: string}>
  virt: VirtRaw
  kernelLog: LogText | null
  cmdline: string | null
}

/** CPUID hypervisor-leaf signatures: the id each names, its weight, and its words in reasons. */
const SIGNATURES: Array<[RegExp, HypervisorId, number, string]> = [
  [/^KVMKVMKVM$/, 'kvm', 10, 'KVM'],
  [/^Linux KVM Hv$/, 'kvm', 10, 'KVM (Hyper-V compatible interface)'],
  [/^TCGTCGTCGTCG$/, 'tcg', 10, 'QEMU TCG'],
  // QEMU/KVM with hv-* enlightenments says the same, hence the lower weight.
  [/^Microsoft Hv$/, 'hyperv', 8, 'Microsoft Hyper-V'],
  [/^VMwareVMware$/, 'vmware', 10, 'VMware'],
  [/^XenVMMXenVMM$/, 'xen', 10, 'Xen'],
  [/^bhyve bhyve$/, 'bhyve', 10, 'bhyve'],
  [/^VBoxVBoxVBox$/, 'virtualbox', 10, 'VirtualBox'],
  [/^ lrpepyh {1,2}vr$/, 'parallels', 10, 'Parallels'],
  [/^Apple VZ/, 'apple', 10, 'Apple Virtualization'],
  [/^(ACRNACRNACRN|QNXQVMBSQG|SRESRESRESRE|Jailhouse)/, 'other', 10, 'other hypervisor'],
]

/** `Hypervisor detected: X` names (arch/x86 hypervisor_x86.name). */
const DMESG_HYPERVISOR: Array<[RegExp, HypervisorId]> = [
  [/^KVM/, 'kvm'],
  [/^Microsoft Hyper-V/, 'hyperv'],
  [/^VMware/, 'vmware'],
  [/^Xen/, 'xen'],
  [/^(ACRN|Jailhouse|Intel TDX|Bhyve)/i, 'other'],
]

/** DMI vendor strings, prefix-matched like systemd's dmi_vendor_table, most specific first. */
const DMI_VENDORS: Array<[RegExp, Indication, number]> = [
  [/^QEMU Virtual Machine/, 'tcg', 6], // arm64/riscv virt board says "KVM Virtual Machine" under KVM (hw/arm/virt.c)
  [/^KVM/, 'kvm', 5],
  [/^(OpenStack|KubeVirt)/, 'kvm', 4],
  [/^Google/, 'kvm', 4],
  [/^(QEMU|Bochs)/, 'qemu', 5],
  [/^(VMware|VMW)/, 'vmware', 6],
  [/^(innotek GmbH|VirtualBox|Oracle Corporation)/, 'virtualbox', 6],
  [/^Xen/, 'xen', 6],
  [/^(Hyper-V|Microsoft Hyper-V)/, 'hyperv', 6],
  [/^Parallels/, 'parallels', 6],
  [/^BHYVE/, 'bhyve', 6],
  [/^Apple Virtualization/, 'apple', 6],
  [/^Amazon EC2/, 'guest', 4],
]

const SYSTEMD_VM: Record<string, Indication> = {
  kvm: 'kvm',
  qemu: 'qemu',
  bochs: 'qemu',
  microsoft: 'hyperv',
  vmware: 'vmware',
  xen: 'xen',
  oracle: 'virtualbox',
  parallels: 'parallels',
  bhyve: 'bhyve',
  zvm: 'zvm',
  powervm: 'powervm',
  apple: 'apple',
  google: 'kvm',
  amazon: 'guest',
  none: 'bare-metal',
}

const VIRT_WHAT: Array<[RegExp, Indication]> = [
  [/^(kvm|lkvm|ibm_systemz-kvm|ibm_power-kvm|google_cloud|nutanix_ahv|rhev|ovirt)$/, 'kvm'],
  [/^qemu$/, 'qemu'],
  [/^hyperv$/, 'hyperv'],
  [/^vmware$/, 'vmware'],
  [/^xen(-.*)?$/, 'xen'],
  [/^virtualbox$/, 'virtualbox'],
  [/^parallels$/, 'parallels'],
  [/^bhyve$/, 'bhyve'],
  [/^ibm_systemz-zvm$/, 'zvm'],
  [/^ibm_power-lpar/, 'powervm'],
  [/^(aws|alibaba_cloud)$/, 'guest'],
]

const LSCPU_VENDOR: Array<[RegExp, HypervisorId]> = [
  [/^KVM/, 'kvm'],
  [/^Microsoft/, 'hyperv'],
  [/^VMware/, 'vmware'],
  [/^Xen/, 'xen'],
  [/^(Innotek|vBox|Oracle)/i, 'virtualbox'],
  [/^Windows Subsystem for Linux/, 'hyperv'],
  [/^Parallels/, 'parallels'],
  [/^pHyp/, 'powervm'],
  [/./, 'other'],
]

/**
 * Words for a hypervisor id in the reasons: as its CPUID signature names it ("Microsoft Hyper-V",
 * "other hypervisor"), else its usual name.
 */
export function hypervisorLabel(id: HypervisorId): string {
  if (id === 'unknown') return 'an unidentified hypervisor'
  return SIGNATURES.find(([, sid]) => sid === id)?.[3] ?? hypervisorName(id)
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}

export interface LogLine {
  text: string
  source: string
}

/** Kernel log lines in the kernel's own words (prefixes of dmesg, journal and syslog removed). */
export function kernelLogLines(log: HypervisorInputs['kernelLog']): LogLine[] {
  if (!log) return []
  const normaliser = new LineNormaliser()
  return log.text.split('\n').map((raw, i) => ({text: normaliser.normalise(raw)?.text ?? raw, source: `${log.source} line ${i + 1}`}))
}

export function collectVotes(inp: HypervisorInputs, log: LogLine[]): Vote[] {
  const votes: Vote[] = []
  const seen = new Set<string>()
  // A fact counts once: logs that span several boots (kern.log, messages) repeat the boot lines.
  const vote = (indicates: Indication, weight: number, fact: string, source: string, shownAs: string = indicates) => {
    if (seen.has(fact)) return
    seen.add(fact)
    votes.push({indicates, weight, evidence: {fact, source, indicates: shownAs}})
  }

  const cpuidSource = inp.cpu.cpuid?.source ?? ''
  for (const s of inp.cpuidSignatures) {
    const m = SIGNATURES.find(([re]) => re.test(s.signature))
    const indicates = m?.[1] ?? 'other'
    vote(indicates, m?.[2] ?? 8, `CPUID ${hex(s.leaf)} = ${s.signature}`, cpuidSource)
  }
  if (inp.cpu.cpuid?.hypervisorBit === true) vote('guest', 5, 'CPUID.1:ECX[31] (hypervisor bit) set', cpuidSource)

  const x86 = inp.cpu.flags.includes('fpu')
  if (inp.cpu.virtFlags.hypervisor) vote('guest', 5, '"hypervisor" in CPU flags', inp.cpu.flagsSource)
  else if (x86 && inp.cpu.flagsSource) vote('bare-metal', 3, 'no "hypervisor" in CPU flags', inp.cpu.flagsSource)
  if (inp.cpu.modelName.value && /QEMU TCG CPU/.test(inp.cpu.modelName.value)) {
    vote('tcg', 6, `model name "${inp.cpu.modelName.value}" (QEMU -cpu max under TCG)`, inp.cpu.modelName.source)
  }

  for (const {text, source} of log) {
    const detected = /Hypervisor detected: (.+?)\s*$/.exec(text)
    if (detected) {
      const id = DMESG_HYPERVISOR.find(([re]) => re.test(detected[1]))?.[1] ?? 'other'
      vote(id, 8, `kernel: "Hypervisor detected: ${detected[1]}"`, source)
      continue
    }
    const pv = /Booting paravirtualized kernel on (.+?)\s*$/.exec(text)
    if (pv) {
      const fact = `kernel: "Booting paravirtualized kernel on ${pv[1]}"`
      // "bare hardware" is printed on bare metal and under TCG alike: a fact for the reader, not a vote.
      if (/bare hardware/.test(pv[1])) vote('bare-metal', 0, fact, source, 'bare-metal-or-tcg')
      else vote(/KVM/.test(pv[1]) ? 'kvm' : /Xen/.test(pv[1]) ? 'xen' : 'other', 6, fact, source)
      continue
    }
    if (/kvm-clock: Using msrs/.test(text)) vote('kvm', 6, 'kernel: kvm-clock registered ("kvm-clock: Using msrs ...")', source)
    // PVM guest kernels announce themselves; "pvm-pv: not detected" on a PVM host kernel is not that.
    if (/\bpvm\b.*\bdetected\b/i.test(text) && !/not detected/i.test(text)) vote('pvm', 9, `kernel: "${text.trim()}"`, source)
  }

  const clocks = new Set([...inp.virt.clocksource.available, ...(inp.virt.clocksource.current ? [inp.virt.clocksource.current] : [])])
  const csSource = inp.virt.clocksource.source
  if (clocks.has('kvm-clock')) vote('kvm', 6, 'kvm-clock among available clocksources', csSource)
  if ([...clocks].some((c) => c.startsWith('hyperv_clocksource'))) vote('hyperv', 6, 'hyperv_clocksource among available clocksources', csSource)
  if (clocks.has('xen')) vote('xen', 6, 'xen among available clocksources', csSource)

  for (const field of ['product_name', 'sys_vendor', 'board_vendor', 'bios_vendor', 'product_version']) {
    const value = inp.virt.dmi[field]
    if (!value) continue
    const dmiSource = inp.virt.dmiSource === 'command:dmidecode' ? 'command:dmidecode' : `/sys/class/dmi/id/${field}`
    if (field === 'sys_vendor' && /^Microsoft Corporation/.test(value) && /Virtual Machine/.test(inp.virt.dmi.product_name ?? '')) {
      vote('hyperv', 6, `DMI sys_vendor "${value}", product_name "${inp.virt.dmi.product_name}"`, dmiSource)
      continue
    }
    if (field === 'product_name' && /\.metal$/.test(value)) {
      vote('bare-metal', 6, `DMI product_name "${value}" (a bare-metal cloud instance)`, dmiSource)
      continue
    }
    const m = DMI_VENDORS.find(([re]) => re.test(value))
    if (m) vote(m[1], m[2], `DMI ${field} "${value}"`, dmiSource)
  }

  const sdv = inp.virt.systemdDetectVirt.vm
  if (sdv) vote(Object.hasOwn(SYSTEMD_VM, sdv) ? SYSTEMD_VM[sdv] : 'other', sdv === 'none' ? 5 : 7, `systemd-detect-virt --vm: ${sdv}`, 'command:systemd-detect-virt-vm')

  if (inp.virt.virtWhat) {
    const facts = inp.virt.virtWhat
    for (const f of facts) {
      const m = VIRT_WHAT.find(([re]) => re.test(f))
      if (m) vote(m[1], 6, `virt-what: ${f}`, 'command:virt-what')
    }
    if (facts.length === 0) vote('bare-metal', 4, 'virt-what printed nothing (no hypervisor)', 'command:virt-what')
  }

  const lscpuVendor = inp.cpu.lscpu?.hypervisorVendor
  if (lscpuVendor) {
    const id = LSCPU_VENDOR.find(([re]) => re.test(lscpuVendor))?.[1] ?? 'other'
    vote(id, 6, `lscpu: Hypervisor vendor ${lscpuVendor}`, 'command:lscpu')
  }

  if (inp.virt.hypervisorType) {
    vote(inp.virt.hypervisorType === 'xen' ? 'xen' : 'other', 7, `/sys/hypervisor/type = ${inp.virt.hypervisorType}`, '/sys/hypervisor/type')
  }
  const dt = inp.virt.deviceTreeHypervisor
  if (dt) {
    const id: Indication = /linux,kvm/.test(dt) ? 'kvm' : /xen/.test(dt) ? 'xen' : /vmware/.test(dt) ? 'vmware' : 'other'
    vote(id, 7, `device tree hypervisor compatible = ${dt}`, '/proc/device-tree/hypervisor/compatible')
  }
  if (inp.virt.sysinfo) {
    const cp = /^VM\d\d Control Program:\s*(.+?)\s*$/m.exec(inp.virt.sysinfo)
    if (cp) vote(/z\/VM/.test(cp[1]) ? 'zvm' : /KVM/.test(cp[1]) ? 'kvm' : 'other', 8, `/proc/sysinfo Control Program: ${cp[1]}`, '/proc/sysinfo')
    else if (/^LPAR /m.test(inp.virt.sysinfo)) vote('bare-metal', 5, '/proc/sysinfo: LPAR with no VM level (s390 machine level)', '/proc/sysinfo')
  }
  return votes
}

