/**
 * The per-level model: what one level (L0 bare metal, L1 guest hypervisor, L2 nested guest) is,
 * parsed from a Capture. It is versioned (LEVEL_SCHEMA_VERSION) and validated with zod on the way
 * into `report`, so bundles from older nestreport versions are read knowingly and future ones are
 * refused with a clear message. docs/report-json.md documents it for people; `nestreport schema`
 * prints its JSON Schema (generated from this file on demand, never committed) for tools.
 *
 * Conventions:
 * - Every fact worth citing is a Sourced<T>: its value (null when unknown) and where it came from
 *   ("/proc/cpuinfo", "command:lscpu", "dmesg line 42"), so a developer can check it.
 * - Things not collected are listed in `notCollected` with the reason, instead of silently missing.
 */
import {z} from 'zod'

import {LEVEL_SCHEMA} from './level-schema-id.js'

export {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION} from './level-schema-id.js'

const sourced = <T extends z.ZodType>(value: T) =>
  z.object({
    value: value.nullable(),
    source: z.string().describe('file path, "command:<id>", or "derived"; empty when unknown'),
  })

export const LevelName = z.enum(['L0', 'L1', 'L2'])
export type LevelName = z.infer<typeof LevelName>

export const Evidence = z.object({
  /** What was seen, in words a developer recognises: "CPUID 0x40000000 = KVMKVMKVM". */
  fact: z.string(),
  source: z.string(),
  /** What it points to: a hypervisor id, "guest", "bare-metal", "container", "tcg", "kvm". */
  indicates: z.string(),
})
export type Evidence = z.infer<typeof Evidence>

export const HypervisorId = z.enum([
  'none', // bare metal
  'kvm',
  'tcg', // QEMU without acceleration
  'pvm', // KVM PVM (paravirtualized, non-VMX/SVM)
  'hyperv',
  'vmware',
  'xen',
  'virtualbox',
  'parallels',
  'bhyve',
  'zvm',
  'powervm',
  'apple',
  'other',
  'unknown',
])
export type HypervisorId = z.infer<typeof HypervisorId>

export const CpuFacts = z.object({
  modelName: sourced(z.string()),
  vendor: sourced(z.string()).describe('vendor_id: GenuineIntel, AuthenticAMD, HygonGenuine, ...'),
  family: sourced(z.number()),
  model: sourced(z.number()),
  stepping: sourced(z.number()),
  microcode: sourced(z.string()),
  arch: sourced(z.string()),
  logicalCpus: sourced(z.number()),
  flags: z.array(z.string()).describe('flags of the first CPU in /proc/cpuinfo'),
  flagsSource: z.string(),
  /** vmx/svm: hardware virtualization exposed to this level; hypervisor: CPUID.1:ECX[31]. */
  virtFlags: z.object({vmx: z.boolean(), svm: z.boolean(), hypervisor: z.boolean()}),
  /** From raw CPUID (/dev/cpu/0/cpuid or the cpuid tool) when readable. */
  cpuid: z
    .object({
      source: z.string(),
      hypervisorSignature: z.string().nullable().describe('leaf 0x40000000 EBX-ECX-EDX, e.g. KVMKVMKVM, TCGTCGTCGTCG'),
      maxHypervisorLeaf: z.number().nullable(),
      vmx: z.boolean().nullable(),
      svm: z.boolean().nullable(),
      hypervisorBit: z.boolean().nullable(),
    })
    .nullable(),
  lscpu: z
    .object({hypervisorVendor: z.string().nullable(), virtualizationType: z.string().nullable(), virtualization: z.string().nullable()})
    .nullable(),
  vulnerabilities: z.record(z.string(), z.string()),
})
export type CpuFacts = z.infer<typeof CpuFacts>

export const TaintFlag = z.object({letter: z.string(), name: z.string(), description: z.string()})

export const KernelFacts = z.object({
  release: sourced(z.string()),
  version: sourced(z.string()).describe('full /proc/version string'),
  cmdline: sourced(z.string()),
  tainted: z.object({value: z.number().nullable(), source: z.string(), flags: z.array(TaintFlag)}),
  os: z.object({
    prettyName: z.string().nullable(),
    id: z.string().nullable(),
    versionId: z.string().nullable(),
    source: z.string(),
  }),
  hostname: sourced(z.string()),
})
export type KernelFacts = z.infer<typeof KernelFacts>

export const KvmModule = z.object({
  name: z.string().describe('kvm, kvm_intel, kvm_amd, kvm_hv, kvm_pvm, ...'),
  /** "module" when listed in /proc/modules, "builtin" when only in /sys/module. */
  loadedAs: z.enum(['module', 'builtin', 'unknown']),
  version: z.string().nullable(),
  srcversion: z.string().nullable(),
  /** Every parameter with its live value as the kernel prints it (Y/N/1/0/numbers). */
  parameters: z.record(z.string(), z.string()),
  source: z.string(),
})
export type KvmModule = z.infer<typeof KvmModule>

export const KvmFacts = z.object({
  devKvm: z.object({
    present: z.boolean().nullable(),
    /** The capturing user could open it read-write. */
    accessible: z.boolean().nullable(),
    mode: z.string().nullable(),
    owner: z.string().nullable().describe('uid:gid'),
    rdev: z.string().nullable(),
    source: z.string(),
  }),
  modules: z.array(KvmModule),
  /** The module that provides /dev/kvm for this architecture: kvm_intel, kvm_amd, kvm_pvm, kvm_hv, ... */
  vendorModule: z.string().nullable(),
  /**
   * Nesting-relevant parameters normalised to booleans (Y/1 = true), null when the module or
   * parameter is absent: nested, ept, npt, enable_shadow_vmcs, enable_apicv, avic, ...
   */
  nesting: z.record(z.string(), z.boolean().nullable()),
  modprobeOptions: z.array(z.object({file: z.string(), line: z.number(), module: z.string(), options: z.string()})),
  /** Vendor load-failure lines from the kernel log: "kvm_intel: VMX not supported by CPU 0", ... */
  loadFailures: z.array(z.object({text: z.string(), source: z.string()})),
})
export type KvmFacts = z.infer<typeof KvmFacts>

export const VirtFacts = z.object({
  /** This level runs under a hypervisor (or is a guest of some kind). */
  isGuest: z.boolean().nullable(),
  /** The hypervisor directly below this level, with the evidence weighed. */
  hypervisor: HypervisorId,
  hypervisorDetail: z.string().nullable().describe('e.g. "Firecracker", "QEMU 8.2 (TCG)", "Microsoft Hyper-V"'),
  evidence: z.array(Evidence),
  container: z.object({kind: z.string().nullable(), evidence: z.array(Evidence)}),
  dmi: z.record(z.string(), z.string()),
  clocksource: z.object({current: z.string().nullable(), available: z.array(z.string())}),
  systemdDetectVirt: z.object({vm: z.string().nullable(), container: z.string().nullable()}),
  virtWhat: z.array(z.string()).nullable(),
})
export type VirtFacts = z.infer<typeof VirtFacts>

export const Accelerator = z.enum(['kvm', 'tcg', 'hvf', 'whpx', 'xen', 'unknown'])

export const QemuProcess = z.object({
  pid: z.number(),
  exe: z.string().nullable(),
  argv: z.array(z.string()),
  name: z.string().nullable().describe('-name guest=...'),
  /** What the command line asks for (-accel/-enable-kvm/-machine accel=; none means TCG for qemu-system-*). */
  requestedAccel: z.string().nullable(),
  /** Runtime truth: KVM fds held, vCPU thread names. */
  accel: Accelerator,
  accelEvidence: z.array(Evidence),
  kvmFds: z.number().nullable().describe('count of /dev/kvm and anon_inode:kvm-* fds; null when unreadable'),
  vcpuThreads: z.array(z.string()),
  cpuModel: z.string().nullable().describe('-cpu argument, e.g. host,migratable=on or Haswell,vmx=on'),
  machine: z.string().nullable(),
  incomingMigration: z.boolean(),
})
export type QemuProcess = z.infer<typeof QemuProcess>

export const QemuFacts = z.object({
  binaries: z.array(z.object({path: z.string(), version: z.string().nullable(), source: z.string()})),
  processes: z.array(QemuProcess),
})
export type QemuFacts = z.infer<typeof QemuFacts>

export const LibvirtDomain = z.object({
  name: z.string(),
  /** <domain type='kvm'|'qemu'>: 'qemu' means TCG. */
  type: z.string().nullable(),
  cpuMode: z.string().nullable().describe('host-passthrough, host-model, custom, maximum'),
  cpuModel: z.string().nullable(),
  cpuFeatures: z.array(z.object({policy: z.string(), name: z.string()})),
  running: z.boolean(),
  xmlSource: z.string().nullable(),
  logFile: z.string().nullable(),
  lastCommandLine: z.array(z.string()).nullable(),
  lastStart: z.string().nullable(),
  errors: z.array(z.object({line: z.number(), text: z.string()})),
})
export type LibvirtDomain = z.infer<typeof LibvirtDomain>

export const LibvirtFacts = z.object({
  libvirtdVersion: sourced(z.string()),
  virshVersion: sourced(z.string()),
  domains: z.array(LibvirtDomain),
})

export const OopsSummary = z.object({
  title: z.string(),
  kind: z.string(),
  startLine: z.number(),
  endLine: z.number(),
  stackHash: z.string(),
  kvmRelated: z.boolean(),
  panicked: z.boolean(),
  /** The raw lines of the report, header to end, as in the log. */
  text: z.string(),
})

export const KvmMessageSummary = z.object({line: z.number(), pattern: z.string(), severity: z.string(), text: z.string()})

export const KernelLogFacts = z.object({
  /** The log analysed: "command:dmesg", "command:journal-kernel", "/var/log/kern.log" or null. */
  source: z.string().nullable(),
  /** Other kernel logs analysed (previous boot journal, libvirt QEMU logs). */
  extraSources: z.array(z.string()),
  lines: z.number(),
  panicked: z.boolean(),
  oopses: z.array(OopsSummary.extend({source: z.string()})),
  kvmMessages: z.array(KvmMessageSummary.extend({source: z.string()})),
})

export const LevelInfo = z.object({
  /** What the evidence says. */
  detected: LevelName.nullable(),
  detectedRole: z.enum(['bare-metal-host', 'guest-hypervisor', 'guest', 'unknown']),
  reasons: z.array(z.string()),
  /** --level given by the user, kept beside the detected answer. */
  override: LevelName.nullable(),
  /** What the report uses: override ?? detected. */
  effective: LevelName.nullable(),
})

export const NotCollected = z.object({what: z.string(), group: z.string(), why: z.string()})

export const LevelModel = z.object({
  schema: z.literal(LEVEL_SCHEMA),
  schemaVersion: z.number().int(),
  tool: z.object({name: z.string(), version: z.string()}),
  capture: z.object({
    source: z.enum(['live', 'sysroot', 'script']),
    producer: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    user: z.object({uid: z.number(), root: z.boolean()}),
    label: z.string().nullable(),
    timeoutSeconds: z.number(),
  }),
  level: LevelInfo,
  cpu: CpuFacts,
  kernel: KernelFacts,
  kvm: KvmFacts,
  virt: VirtFacts,
  qemu: QemuFacts,
  libvirt: LibvirtFacts,
  kernelLog: KernelLogFacts,
  notCollected: z.array(NotCollected),
  /** Redaction applied to this level's report and raw files (filled by the redact stage). */
  redaction: z
    .object({
      secretsRemoved: z.array(z.object({where: z.string(), what: z.string()})),
      identityRedacted: z.boolean(),
    })
    .nullable(),
})
export type LevelModel = z.infer<typeof LevelModel>
