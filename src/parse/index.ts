/**
 * The parse stage: a Capture in, the per-level model out. Each fact group is parsed on its own, so
 * a garbled file costs that group (reported in notCollected), never the report.
 */
import {detectHypervisor} from '../analyse/hypervisor.js'
import {detectContainer, detectLevel} from '../analyse/level.js'
import {TOOL_NAME} from '../capture/manifest.js'
import type {Capture} from '../capture/types.js'
import {CaptureView} from '../capture/view.js'
import {describeError} from '../lib/errors.js'
import type {CpuFacts, KernelFacts, KvmFacts, LevelModel} from '../model/level.js'
import {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION} from '../model/level-schema-id.js'
import {cpuidLeaves, hypervisorSignatures, parseCpu} from './cpu.js'
import {chooseKernelLog, extraKernelLogs, parseKernelLog, type LogText} from './kernel-log.js'
import {parseKernel} from './kernel.js'
import {parseKvm} from './kvm.js'
import {parseLibvirt} from './libvirt.js'
import {notCollectedEntries, underivedFacts} from './not-collected.js'
import {parseQemu} from './qemu.js'
import {parseVirtRaw, type VirtRaw} from './virt.js'

const NO_SOURCE = {value: null, source: ''}

/** What a fact group is when its parser could not run: every fact unknown (tests build sparse models from these too). */
export const EMPTY_CPU: CpuFacts = {
  modelName: NO_SOURCE,
  vendor: NO_SOURCE,
  family: NO_SOURCE,
  model: NO_SOURCE,
  stepping: NO_SOURCE,
  microcode: NO_SOURCE,
  arch: NO_SOURCE,
  logicalCpus: NO_SOURCE,
  flags: [],
  flagsSource: '',
  virtFlags: {vmx: false, svm: false, hypervisor: false},
  cpuid: null,
  lscpu: null,
  vulnerabilities: {},
}

export const EMPTY_KERNEL: KernelFacts = {
  release: NO_SOURCE,
  version: NO_SOURCE,
  cmdline: NO_SOURCE,
  tainted: {value: null, source: '', flags: []},
  os: {prettyName: null, id: null, versionId: null, source: ''},
  hostname: NO_SOURCE,
}

export const EMPTY_KVM: KvmFacts = {
  devKvm: {present: null, accessible: null, mode: null, owner: null, rdev: null, source: ''},
  modules: [],
  vendorModule: null,
  nesting: {},
  modprobeOptions: [],
  loadFailures: [],
}

const EMPTY_VIRT_RAW: VirtRaw = {
  dmi: {},
  dmiSource: '',
  dmiPresent: null,
  clocksource: {current: null, available: [], source: ''},
  systemdDetectVirt: {vm: null, container: null},
  virtWhat: null,
  hypervisorType: null,
  xenCapabilities: null,
  deviceTreeHypervisor: null,
  sysinfo: null,
  markers: {dockerenv: false, containerenv: false, systemdContainer: null, pid1Cgroup: null},
}

const HARDWARE_VENDOR_MODULES = new Set(['kvm_intel', 'kvm_amd', 'kvm_hv'])
const KVM_CMDLINE_OPTION = /(?:^|\s)((?:kvm[-_]?\w*\.\w+|nested_pvm|kvm-arm\.mode)=\S+)/g

/** Signs that this level is set up to run guests (see LevelInputs.hypervisorIntent). */
function hypervisorIntent(kvm: KvmFacts, cmdline: string | null, qemu: LevelModel['qemu'], libvirt: LevelModel['libvirt']): Array<{fact: string; strong: boolean}> {
  const out: Array<{fact: string; strong: boolean}> = []
  const failure = kvm.loadFailures[0]
  if (failure) out.push({fact: `KVM vendor module failed to load: "${failure.text}" (${failure.source})`, strong: true})
  if (kvm.vendorModule && !HARDWARE_VENDOR_MODULES.has(kvm.vendorModule)) out.push({fact: `vendor module ${kvm.vendorModule} (not kvm_intel/kvm_amd: chosen, not autoloaded)`, strong: true})
  const options = [...(cmdline ?? '').matchAll(KVM_CMDLINE_OPTION)].map((m) => m[1])
  if (options.length > 0) out.push({fact: `kernel command line sets ${options.join(' ')}`, strong: true})
  if (kvm.modprobeOptions.length > 0) out.push({fact: `modprobe.d sets options for ${[...new Set(kvm.modprobeOptions.map((o) => o.module))].join(', ')}`, strong: true})
  if (libvirt.domains.length > 0) out.push({fact: `${libvirt.domains.length} libvirt domain(s) defined: ${libvirt.domains.map((d) => d.name).join(', ')}`, strong: true})
  const installed = [qemu.binaries.length > 0 ? 'QEMU' : null, libvirt.libvirtdVersion.value ? 'libvirt' : null].filter(Boolean)
  if (installed.length > 0) out.push({fact: `${installed.join(' and ')} installed`, strong: false})
  return out
}

/** Manifest entries the view can search: a hand-edited or hostile manifest may hold anything. */
function usableEntries(capture: Capture): Capture {
  const entries = Array.isArray(capture.manifest.entries) ? capture.manifest.entries : []
  const usable = entries.filter((e) => e !== null && typeof e === 'object' && typeof e.kind === 'string' && typeof e.id === 'string' && typeof e.status === 'string')
  return usable.length === entries.length && entries === capture.manifest.entries ? capture : {...capture, manifest: {...capture.manifest, entries: usable}}
}

export function buildLevelModel(input: Capture, options: {toolVersion?: string} = {}): LevelModel {
  const capture = usableEntries(input)
  const view = new CaptureView(capture)
  const failures: LevelModel['notCollected'] = []
  const guard = <T>(group: string, what: string, fallback: T, parse: () => T): T => {
    try {
      return parse()
    } catch (error) {
      failures.push({what, group, why: `could not be parsed: ${describeError(error)}`})
      return fallback
    }
  }

  const cpu = guard('cpu', 'CPU facts', EMPTY_CPU, () => parseCpu(view))
  const kernel = guard('kernel', 'kernel facts', EMPTY_KERNEL, () => parseKernel(view))
  const primaryLog = guard<LogText | null>('kernel-log', 'kernel log', null, () => chooseKernelLog(view))
  const kernelLog = guard('kernel-log', 'kernel log analysis', {source: null, extraSources: [], lines: 0, panicked: false, oopses: [], kvmMessages: []}, () =>
    parseKernelLog(view, primaryLog, extraKernelLogs(view)),
  )
  const kvm = guard('kvm', 'KVM facts', EMPTY_KVM, () =>
    parseKvm(view, {cpuVirtFlags: cpu.virtFlags, cmdline: kernel.cmdline.value, kernelLog: primaryLog}),
  )
  const qemu = guard('qemu', 'QEMU facts', {binaries: [], processes: []}, () => parseQemu(view))
  const libvirt = guard('libvirt', 'libvirt facts', {libvirtdVersion: NO_SOURCE, virshVersion: NO_SOURCE, domains: []}, () =>
    parseLibvirt(view, qemu.processes.map((p) => p.name).filter((n): n is string => n !== null)),
  )
  const virtRaw = guard('virt', 'virtualization facts', EMPTY_VIRT_RAW, () => parseVirtRaw(view))
  const signatures = guard('cpu', 'CPUID signatures', [], () => hypervisorSignatures(cpuidLeaves(view)?.leaves ?? []))
  const verdict = guard(
    'virt',
    'hypervisor detection',
    {isGuest: null, hypervisor: 'unknown' as const, hypervisorDetail: null, evidence: [], reasons: ['hypervisor detection failed']},
    () => detectHypervisor({cpu, cpuidSignatures: signatures, virt: virtRaw, kernelLog: primaryLog, cmdline: kernel.cmdline.value}),
  )
  const container = detectContainer(virtRaw)
  const level = detectLevel({
    verdict,
    devKvm: kvm.devKvm,
    vendorModule: kvm.vendorModule,
    qemuProcesses: qemu.processes,
    hypervisorIntent: hypervisorIntent(kvm, kernel.cmdline.value, qemu, libvirt),
    override: typeof capture.manifest.levelOverride === 'string' ? capture.manifest.levelOverride : null,
  })

  const m = capture.manifest
  const model: LevelModel = {
    schema: LEVEL_SCHEMA,
    schemaVersion: LEVEL_SCHEMA_VERSION,
    tool: {name: TOOL_NAME, version: options.toolVersion ?? '0.0.0'},
    capture: {
      source: m.source === 'live' || m.source === 'sysroot' || m.source === 'script' ? m.source : 'live',
      producer: m.producer && typeof m.producer === 'object' ? `${String(m.producer.name)} ${String(m.producer.version)}` : 'unknown',
      startedAt: String(m.startedAt ?? ''),
      finishedAt: String(m.finishedAt ?? ''),
      user: {uid: Number.isFinite(Number(m.user?.uid)) ? Number(m.user?.uid) : -1, root: m.user?.root === true},
      label: typeof m.label === 'string' ? m.label : null,
      timeoutSeconds: Number.isFinite(Number(m.timeoutSeconds)) ? Number(m.timeoutSeconds) : 0,
    },
    level,
    cpu,
    kernel,
    kvm,
    virt: {
      isGuest: verdict.isGuest,
      hypervisor: verdict.hypervisor,
      hypervisorDetail: verdict.hypervisorDetail,
      evidence: verdict.evidence,
      container,
      dmi: virtRaw.dmi,
      clocksource: {current: virtRaw.clocksource.current, available: virtRaw.clocksource.available},
      systemdDetectVirt: virtRaw.systemdDetectVirt,
      virtWhat: virtRaw.virtWhat,
    },
    qemu,
    libvirt,
    kernelLog,
    notCollected: [],
    redaction: null,
  }
  const gaps = guard('capture', 'list of entries not collected', [], () => [...notCollectedEntries(view), ...underivedFacts(view, model)])
  model.notCollected = [...gaps, ...failures]
  return model
}
