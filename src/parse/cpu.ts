/**
 * CPU facts: /proc/cpuinfo (first processor block), lscpu, raw CPUID (the @leaves record from
 * /dev/cpu/0/cpuid, else the `cpuid -1 -r` dump) and the vulnerability files.
 */
import type {CpuidLeaf} from '../capture/types.js'
import type {CaptureView} from '../capture/view.js'
import type {CpuFacts} from '../model/level.js'
import {colonFields, lines, sourced, toInt} from './sourced.js'

const CPUINFO = '/proc/cpuinfo'
const CPUID_DEVICE = '/dev/cpu/0/cpuid'
const VULN_DIR = '/sys/devices/system/cpu/vulnerabilities'

export function parseCpu(view: CaptureView): CpuFacts {
  const cpuinfo = view.text(CPUINFO)
  const first = cpuinfo === null ? new Map<string, string>() : colonFields(firstProcessorBlock(cpuinfo))
  const lscpuText = view.commandOutput('lscpu')
  const lscpu = lscpuText === null ? null : colonFields(lscpuText)
  const fromCpuinfo = (key: string) => first.get(key) ?? null
  const pick = (cpuinfoKeys: string[], lscpuKey?: string) => {
    for (const k of cpuinfoKeys) {
      const v = fromCpuinfo(k)
      if (v) return sourced(v, CPUINFO)
    }
    const v = lscpuKey === undefined ? undefined : lscpu?.get(lscpuKey)
    return v ? sourced(v, 'command:lscpu') : sourced<string>(null, '')
  }
  const num = (s: {value: string | null; source: string}) => {
    const n = toInt(s.value)
    return n === null ? sourced<number>(null, '') : sourced(n, s.source)
  }

  const flagsLine = ['flags', 'Features', 'features'].map(fromCpuinfo).find((v) => v !== null) ?? null
  const lscpuFlags = lscpu?.get('Flags') ?? null
  const flags = (flagsLine ?? lscpuFlags ?? '').split(/\s+/).filter(Boolean)
  const flagsSource = flagsLine !== null ? CPUINFO : lscpuFlags !== null ? 'command:lscpu' : ''
  const has = (f: string) => flags.includes(f)

  return {
    modelName: pick(['model name', 'cpu model', 'cpu'], 'Model name'),
    vendor: pick(['vendor_id', 'vendor'], 'Vendor ID'),
    family: num(pick(['cpu family'], 'CPU family')),
    model: num(pick(['model'], 'Model')),
    stepping: num(pick(['stepping'], 'Stepping')),
    microcode: pick(['microcode']),
    arch: archOf(view, lscpu),
    logicalCpus: logicalCpus(cpuinfo, lscpu),
    flags,
    flagsSource,
    virtFlags: {vmx: has('vmx'), svm: has('svm'), hypervisor: has('hypervisor')},
    cpuid: parseCpuidFacts(view),
    lscpu: lscpu
      ? {
          hypervisorVendor: lscpu.get('Hypervisor vendor') ?? null,
          virtualizationType: lscpu.get('Virtualization type') ?? null,
          virtualization: lscpu.get('Virtualization') ?? null,
        }
      : null,
    vulnerabilities: vulnerabilities(view),
  }
}

/** Text up to the first blank line after the first `processor` line (x86, arm64); whole text otherwise. */
function firstProcessorBlock(text: string): string {
  const all = lines(text)
  const start = all.findIndex((l) => /^processor\s*:/.test(l))
  if (start < 0) return all.join('\n')
  const end = all.findIndex((l, i) => i > start && l.trim() === '')
  return all.slice(start, end < 0 ? undefined : end).join('\n')
}

function logicalCpus(cpuinfo: string | null, lscpu: Map<string, string> | null): CpuFacts['logicalCpus'] {
  if (cpuinfo !== null) {
    const n = lines(cpuinfo).filter((l) => /^processor\s*:\s*\d+/.test(l)).length
    if (n > 0) return sourced(n, CPUINFO)
  }
  const n = toInt(lscpu?.get('CPU(s)'))
  return n === null ? sourced<number>(null, '') : sourced(n, 'command:lscpu')
}

function archOf(view: CaptureView, lscpu: Map<string, string> | null): CpuFacts['arch'] {
  const fromLscpu = lscpu?.get('Architecture')
  if (fromLscpu) return sourced(fromLscpu, 'command:lscpu')
  const arch = view.manifest.arch
  // 'unknown': an offline sysroot whose architecture could not be told.
  return arch && arch !== 'unknown' ? sourced(arch, 'manifest.json') : sourced<string>(null, '')
}

function vulnerabilities(view: CaptureView): Record<string, string> {
  const entries = view.list(VULN_DIR).map((name) => [name, view.value(`${VULN_DIR}/${name}`)] as const)
  return Object.fromEntries(entries.filter((e): e is readonly [string, string] => e[1] !== null))
}

/** Raw CPUID from the cpuid driver record, else from the `cpuid -1 -r` dump; null when neither. */
export function cpuidLeaves(view: CaptureView): {leaves: CpuidLeaf[]; source: string} | null {
  const fromDevice = view.cpuid(CPUID_DEVICE)
  if (fromDevice && fromDevice.length > 0) return {leaves: fromDevice, source: `${CPUID_DEVICE}@leaves`}
  const dump = view.commandOutput('cpuid')
  if (dump) {
    const leaves = parseCpuidToolDump(dump)
    if (leaves.length > 0) return {leaves, source: 'command:cpuid'}
  }
  return null
}

/** `cpuid -1 -r` / `cpuid -r`: `   0x40000000 0x00: eax=0x40000001 ebx=... ecx=... edx=...` (first CPU only). */
export function parseCpuidToolDump(text: string): CpuidLeaf[] {
  const out: CpuidLeaf[] = []
  let cpus = 0
  for (const line of lines(text)) {
    if (/^\s*CPU( \d+)?:\s*$/.test(line)) {
      cpus++
      if (cpus > 1) break
      continue
    }
    const m = /^\s*0x([0-9a-f]+) 0x([0-9a-f]+): eax=0x([0-9a-f]+) ebx=0x([0-9a-f]+) ecx=0x([0-9a-f]+) edx=0x([0-9a-f]+)/i.exec(line)
    if (!m) continue
    const [leaf, subleaf, eax, ebx, ecx, edx] = m.slice(1).map((h) => Number.parseInt(h, 16) >>> 0)
    out.push({leaf, subleaf, eax, ebx, ecx, edx})
  }
  return out
}

function findLeaf(leaves: CpuidLeaf[], leaf: number, subleaf = 0): CpuidLeaf | undefined {
  return leaves.find((l) => l.leaf === leaf && l.subleaf === subleaf)
}

const bit = (value: number, n: number) => ((value >>> n) & 1) === 1

/** Vendor-signature register order: EBX, ECX, EDX for hypervisor leaves (KVMKVMKVM\0\0\0). */
function signatureOf(l: CpuidLeaf): string {
  const buf = Buffer.alloc(12)
  buf.writeUInt32LE(l.ebx >>> 0, 0)
  buf.writeUInt32LE(l.ecx >>> 0, 4)
  buf.writeUInt32LE(l.edx >>> 0, 8)
  return buf.toString('latin1').replace(/\0+$/, '')
}

/** Signatures of the hypervisor leaves a guest can see (0x40000000, and 0x40000100 behind Hyper-V enlightenments). */
export function hypervisorSignatures(leaves: CpuidLeaf[]): Array<{leaf: number; signature: string; maxLeaf: number}> {
  const leaf1 = findLeaf(leaves, 0x1)
  const hypervisorBit = leaf1 ? bit(leaf1.ecx, 31) : null
  const out: Array<{leaf: number; signature: string; maxLeaf: number}> = []
  for (const base of [0x4000_0000, 0x4000_0100]) {
    const l = findLeaf(leaves, base)
    if (!l) continue
    const signature = signatureOf(l)
    // Without the hypervisor bit, out-of-range leaves echo the highest basic leaf on Intel: only
    // a printable signature that a known hypervisor uses is trusted then.
    if (!/^[\x20-\x7e]{3,12}$/.test(signature)) continue
    if (hypervisorBit !== true && !KNOWN_SIGNATURE.test(signature)) continue
    out.push({leaf: base, signature, maxLeaf: l.eax >>> 0})
  }
  return out
}

const KNOWN_SIGNATURE = /^(KVMKVMKVM|Linux KVM Hv|TCGTCGTCGTCG|Microsoft Hv|VMwareVMware|XenVMMXenVMM|bhyve bhyve|VBoxVBoxVBox| lrpepyh {1,2}vr|ACRNACRNACRN|QNXQVMBSQG|SRESRESRESRE|Apple VZ|Jailhouse)/

function parseCpuidFacts(view: CaptureView): CpuFacts['cpuid'] {
  const raw = cpuidLeaves(view)
  if (!raw) return null
  const leaf1 = findLeaf(raw.leaves, 0x1)
  const ext1 = findLeaf(raw.leaves, 0x8000_0001)
  const signatures = hypervisorSignatures(raw.leaves)
  const primary = signatures.find((s) => s.leaf === 0x4000_0000) ?? null
  return {
    source: raw.source,
    hypervisorSignature: primary?.signature ?? null,
    maxHypervisorLeaf: primary?.maxLeaf ?? null,
    vmx: leaf1 ? bit(leaf1.ecx, 5) : null,
    svm: ext1 ? bit(ext1.ecx, 2) : null,
    hypervisorBit: leaf1 ? bit(leaf1.ecx, 31) : null,
  }
}
