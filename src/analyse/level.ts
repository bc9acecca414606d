/**
 * Which hypervisor is below this level, whether a container wraps the shell we ran in, and which
 * level (L0/L1/L2) this is. Every signal becomes an Evidence line with a weight; the answer is the
 * hypervisor with the most weight, with two rules the weights cannot express
 * (shared/notes/virtualization-facts.md §1-§3, §8):
 * - TCG: QEMU is visible (DMI, systemd-detect-virt, virt-what) or only the hypervisor flag is,
 *   and there is no KVM signature, no kvm-clock and no "Hypervisor detected" line of any vendor.
 * - A KVM signature at 0x40000100 means KVM exposing Hyper-V enlightenments, whatever 0x40000000 says.
 */
import {hypervisorName, type CpuFacts, type Evidence, type HypervisorId, type KvmFacts, type LevelName} from '../model/level.js'
import type {VirtRaw} from '../parse/virt.js'
import {LineNormaliser} from './kernel-log/normalise.js'

type Indication = HypervisorId | 'qemu' | 'guest' | 'bare-metal'

interface Vote {
  indicates: Indication
  weight: number
  evidence: Evidence
}

export interface HypervisorInputs {
  cpu: Pick<CpuFacts, 'virtFlags' | 'cpuid' | 'lscpu' | 'modelName' | 'flags' | 'flagsSource'>
  /** All trusted hypervisor-leaf signatures (0x40000000 and 0x40000100) with where they came from. */
  cpuidSignatures: Array<{leaf: number; signature: string}>
  virt: VirtRaw
  kernelLog: {source: string; text: string} | null
  cmdline: string | null
}

export interface HypervisorVerdict {
  isGuest: boolean | null
  hypervisor: HypervisorId
  hypervisorDetail: string | null
  evidence: Evidence[]
  /** Sentences for LevelInfo.reasons. */
  reasons: string[]
}

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
function label(id: HypervisorId): string {
  if (id === 'unknown') return 'an unidentified hypervisor'
  return SIGNATURES.find(([, sid]) => sid === id)?.[3] ?? hypervisorName(id)
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`
}

interface LogLine {
  text: string
  source: string
}

/** Kernel log lines in the kernel's own words (prefixes of dmesg, journal and syslog removed). */
function kernelLogLines(log: HypervisorInputs['kernelLog']): LogLine[] {
  if (!log) return []
  const normaliser = new LineNormaliser()
  return log.text.split('\n').map((raw, i) => ({text: normaliser.normalise(raw)?.text ?? raw, source: `${log.source} line ${i + 1}`}))
}

function collectVotes(inp: HypervisorInputs, log: LogLine[]): Vote[] {
  const votes: Vote[] = []
  const seen = new Set<string>()
  // A fact counts once: logs that span several boots (kern.log, messages) repeat the boot lines.
  const vote = (indicates: Indication, weight: number, fact: string, source: string) => {
    if (seen.has(fact)) return
    seen.add(fact)
    votes.push({indicates, weight, evidence: {fact, source, indicates}})
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
      if (/bare hardware/.test(pv[1])) {
        if (!seen.has(fact)) votes.push({indicates: 'bare-metal', weight: 0, evidence: {fact, source, indicates: 'bare-metal-or-tcg'}})
        seen.add(fact)
      }
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
  if (top.length > 0) reasons.unshift(`a guest of ${detail.text ?? label(hypervisor)}: ${top.join('; ')}`)
  else if (hypervisor !== 'tcg') reasons.unshift(`a guest of ${label(hypervisor)}`)
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
      return {text: label(hypervisor)}
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

export interface ContainerVerdict {
  kind: string | null
  evidence: Evidence[]
}

/** Containers are reported apart from the VM answer: Docker inside a KVM guest is still that guest. */
export function detectContainer(virt: VirtRaw): ContainerVerdict {
  const evidence: Evidence[] = []
  const kinds: string[] = []
  const add = (kind: string, fact: string, source: string) => {
    evidence.push({fact, source, indicates: 'container'})
    kinds.push(kind)
  }
  const sdv = virt.systemdDetectVirt.container
  if (sdv && sdv !== 'none') add(sdv, `systemd-detect-virt --container: ${sdv}`, 'command:systemd-detect-virt-container')
  if (virt.markers.dockerenv) add('docker', '/.dockerenv exists', '/.dockerenv')
  if (virt.markers.containerenv) add('podman', '/run/.containerenv exists', '/run/.containerenv')
  if (virt.markers.systemdContainer) add(virt.markers.systemdContainer, `/run/systemd/container = ${virt.markers.systemdContainer}`, '/run/systemd/container')
  const cgroup = virt.markers.pid1Cgroup ?? ''
  const cg: Array<[RegExp, string]> = [
    [/\/docker[/-]/, 'docker'],
    [/libpod/, 'podman'],
    [/\/lxc(\.payload)?[/.]/, 'lxc'],
    [/kubepods/, 'kubernetes'],
    [/containerd/, 'containerd'],
  ]
  for (const [re, kind] of cg) {
    const line = cgroup.split('\n').find((l) => re.test(l))
    if (line) add(kind, `PID 1 cgroup ${line.trim()}`, '/proc/1/cgroup')
  }
  for (const f of virt.virtWhat ?? []) {
    if (/^(docker|podman|lxc|openvz|linux_vserver.*|illumos-lx)$/.test(f)) add(f, `virt-what: ${f}`, 'command:virt-what')
  }
  if (sdv === 'none' && kinds.length === 0) evidence.push({fact: 'systemd-detect-virt --container: none', source: 'command:systemd-detect-virt-container', indicates: 'no-container'})
  return {kind: kinds[0] ?? null, evidence}
}

export interface LevelInputs {
  verdict: Pick<HypervisorVerdict, 'isGuest' | 'hypervisor' | 'hypervisorDetail' | 'reasons'>
  devKvm: KvmFacts['devKvm']
  vendorModule: string | null
  qemuProcesses: Array<{pid: number; accel: string}>
  /**
   * Signs that this level is set up to run guests although it runs none now. Strong ones (a KVM
   * vendor module that failed to load, libvirt domains defined, kvm options in modprobe.d or on the
   * kernel command line, a non-hardware vendor module such as kvm_pvm) make an L1 even without
   * /dev/kvm; weak ones (QEMU or libvirt installed) only together with /dev/kvm.
   */
  hypervisorIntent?: Array<{fact: string; strong: boolean}>
  override?: string | null
}

export interface LevelVerdict {
  detected: LevelName | null
  detectedRole: 'bare-metal-host' | 'guest-hypervisor' | 'guest' | 'unknown'
  reasons: string[]
  override: LevelName | null
  effective: LevelName | null
}

/**
 * Bare metal is L0. A guest running QEMU is L1. A guest that only has /dev/kvm is ambiguous: a
 * stock kernel autoloads kvm_amd/kvm_intel in any guest that sees svm/vmx, L2s included, so
 * /dev/kvm counts as "runs a hypervisor" only beside a sign that the level is set up for it.
 */
export function detectLevel(inp: LevelInputs): LevelVerdict {
  const reasons = [...inp.verdict.reasons]
  const devKvm = inp.devKvm.present ? `/dev/kvm present${inp.vendorModule ? ` (provided by ${inp.vendorModule})` : ''}` : null
  const running =
    inp.qemuProcesses.length > 0
      ? `${inp.qemuProcesses.length} QEMU process(es) running (${inp.qemuProcesses.filter((p) => p.accel === 'kvm').length} with KVM)`
      : null
  const intent = inp.hypervisorIntent ?? []
  const strong = intent.filter((i) => i.strong).map((i) => i.fact)
  const all = intent.map((i) => i.fact)
  let detected: LevelName | null = null
  let detectedRole: LevelVerdict['detectedRole'] = 'unknown'
  const l1 = (why: string) => {
    detected = 'L1'
    detectedRole = 'guest-hypervisor'
    reasons.push(why)
  }
  if (inp.verdict.isGuest === false) {
    detected = 'L0'
    detectedRole = 'bare-metal-host'
    const runs = [devKvm, running].filter(Boolean)
    if (runs.length > 0) reasons.push(`runs a hypervisor: ${runs.join('; ')}`)
    else reasons.push('bare metal without /dev/kvm or QEMU: the host level of a setup that is not running guests now')
  } else if (inp.verdict.isGuest === true) {
    if (running) l1(`a guest that runs a hypervisor: ${[running, devKvm].filter(Boolean).join('; ')}`)
    else if (devKvm && all.length > 0) l1(`a guest that runs a hypervisor: ${devKvm}, set up for guests (${all.join('; ')})`)
    else if (strong.length > 0) l1(`a guest meant to run guests (${strong.join('; ')}) but without ${devKvm ? 'a running QEMU' : '/dev/kvm or a running QEMU'}`)
    else {
      detected = 'L2'
      detectedRole = 'guest'
      reasons.push('a guest running no guests; in a nested setup this is the innermost level')
      if (devKvm) reasons.push(`${devKvm}, but nothing here is set up to run guests (no QEMU, libvirt or kvm options): give --level L1 if this level is meant to host one`)
    }
  } else {
    reasons.push('level not detected: whether this is a guest could not be told')
  }

  let override: LevelName | null = null
  const raw = inp.override?.trim()
  if (raw) {
    const norm = raw.toUpperCase()
    if (norm === 'L0' || norm === 'L1' || norm === 'L2') {
      override = norm
      if (override !== detected) reasons.push(`--level ${override} given; detected ${detected ?? 'nothing'} is kept beside it`)
    } else {
      reasons.push(`--level "${raw}" ignored: not L0, L1 or L2`)
    }
  }
  return {detected, detectedRole, reasons, override, effective: override ?? detected}
}
