/**
 * Is nesting possible at all: L0's KVM allows nested guests, and L1 sees VMX/SVM. These are the
 * first two things a KVM developer asks, and the two most common reasons "nested KVM" is not.
 * Sources: running-nested-guests.rst and virtualization-facts.md §5 and §8.
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import type {LevelModel, LibvirtDomain} from '../../model/level.js'
import {
  at,
  cpuVendor,
  describeProcess,
  evidence,
  finding,
  hasHardwareVirt,
  isX86,
  nonVmxSvmKvmModule,
  paramSource,
  processRunsOther,
  qemuRunningBelow,
  rawParam,
  type Setup,
  vendorModuleOf,
} from './common.js'

const NESTED_MODULES: Record<string, {on: string}> = {
  kvm_intel: {on: 'Y'},
  kvm_amd: {on: '1'},
  kvm_hv: {on: 'Y'},
  kvm: {on: '1'}, // s390
}

/** NESTED_DISABLED_L0 / NESTED_ENABLED_L0: the `nested` parameter of L0's KVM (kvm-arm.mode=nested on arm64). */
export function nestedOnL0(setup: Setup): Finding[] {
  const l0 = at(setup, 'L0')
  if (!l0) return []
  const arch = l0.cpu.arch.value ?? ''
  if (/^(aarch64|arm64)$/.test(arch)) return armNested(l0)
  const module = vendorModuleOf(l0)
  if (!module || !NESTED_MODULES[module]) return []
  const nested = l0.kvm.nesting.nested ?? null
  const raw = rawParam(l0, module, 'nested')
  const source = paramSource(l0, module, 'nested')
  if (nested === null) {
    return [
      finding('NESTED_UNKNOWN_L0', 'info', `L0's ${module} nested parameter was not captured`, ['L0'], [evidence('L0', source, 'not in the capture')],
        `On L0 run: cat ${source}`),
    ]
  }
  if (nested) {
    return [finding('NESTED_ENABLED_L0', 'pass', `Nested virtualization is enabled on L0 (${module} nested=${raw ?? 'on'})`, ['L0'], [evidence('L0', source, `nested = ${raw ?? 'on'}`)])]
  }
  const ev: FindingEvidence[] = [evidence('L0', source, `nested = ${raw ?? 'off'}`)]
  for (const o of l0.kvm.modprobeOptions) {
    if (o.module === module && /\bnested=(0|n|N|off)\b/.test(o.options)) {
      ev.push(evidence('L0', `${o.file}:${o.line}`, `options ${o.module} ${o.options}`))
    }
  }
  const on = NESTED_MODULES[module].on
  const advice =
    module === 'kvm'
      ? `Add kvm.nested=1 to L0's kernel command line (or options kvm nested=1 in /etc/modprobe.d/kvm.conf), remove any nested=0 from modprobe.d, and reboot or reload kvm with no VMs running. Note nested and hpage are mutually exclusive on s390.`
      : `On L0: echo 'options ${module} nested=1' > /etc/modprobe.d/kvm.conf${ev.length > 1 ? ' (and remove the nested=0 lines cited above)' : ''}; then, with no VMs running, modprobe -r ${module} && modprobe ${module}; cat ${source} must print ${on}. Restart L1 afterwards.`
  return [finding('NESTED_DISABLED_L0', 'fail', `Nested virtualization is disabled on L0 (${module} nested=${raw ?? 'off'})`, ['L0'], ev, advice)]
}

/**
 * L0_IS_GUEST (warn): the level used as L0 is itself a virtual machine (a cloud instance, or a
 * bundle given the wrong level), so every level is one deeper than its name and nesting also
 * depends on a hypervisor no bundle shows.
 */
export function l0IsGuest(setup: Setup): Finding[] {
  const l0 = at(setup, 'L0')
  if (!l0 || l0.virt.isGuest !== true) return []
  const below = l0.virt.hypervisorDetail ?? l0.virt.hypervisor
  const ev = l0.virt.evidence.filter((e) => e.indicates !== 'bare-metal' && e.indicates !== 'container').map((e) => evidence('L0', e.source, e.fact))
  return [
    finding('L0_IS_GUEST', 'warn', `L0 is itself a guest of ${below}, not bare metal`, ['L0'], ev,
      `Say in the report that the "L0" runs under ${below} (a cloud instance is an L1 of its provider): its nesting and CPU model are set by that provider. If this bundle is not the bare-metal host, correct the levels with --level FILE=L1.`),
  ]
}

function armNested(l0: LevelModel): Finding[] {
  const cmdline = l0.kernel.cmdline.value
  if (cmdline === null) return []
  const ev = [evidence('L0', l0.kernel.cmdline.source || '/proc/cmdline', cmdline)]
  if (/\bkvm-arm\.mode=nested\b/.test(cmdline)) {
    return [finding('NESTED_ENABLED_L0', 'pass', 'Nested virtualization is enabled on L0 (kvm-arm.mode=nested)', ['L0'], ev)]
  }
  return [
    finding('NESTED_DISABLED_L0', 'fail', 'Nested virtualization is disabled on L0 (no kvm-arm.mode=nested on the kernel command line)', ['L0'], ev,
      'Boot L0 with kvm-arm.mode=nested (needs FEAT_NV2 hardware and Linux 6.16 or later) and run L1 with -machine virt,virtualization=on (QEMU 10.1 or later).'),
  ]
}

/**
 * VMX_NOT_EXPOSED / VMX_EXPOSED_L1: L1 is a guest but has neither vmx nor svm, so KVM in L1 cannot
 * use hardware virtualization. Names the L0 cause when L0's bundle shows it.
 */
export function vmxExposedToL1(setup: Setup): Finding[] {
  const l1 = at(setup, 'L1')
  if (!l1 || !isX86(l1)) return []
  const flagName = cpuVendor(l1) === 'amd' ? 'svm' : 'vmx'
  if (hasHardwareVirt(l1)) {
    const which = l1.cpu.virtFlags.vmx || l1.cpu.cpuid?.vmx ? 'vmx' : 'svm'
    return [finding('VMX_EXPOSED_L1', 'pass', `L1 sees hardware virtualization (${which})`, ['L1'], [evidence('L1', l1.cpu.flagsSource, `flags include ${which}`)])]
  }
  const ev: FindingEvidence[] = [
    evidence('L1', l1.cpu.flagsSource || '/proc/cpuinfo', `flags have no vmx or svm${l1.cpu.virtFlags.hypervisor ? ' (hypervisor flag set: L1 is a guest)' : ''}`),
  ]
  if (l1.cpu.cpuid) ev.push(evidence('L1', l1.cpu.cpuid.source, `CPUID: vmx=${l1.cpu.cpuid.vmx ?? '?'} svm=${l1.cpu.cpuid.svm ?? '?'}`))
  for (const f of l1.kvm.loadFailures) ev.push(evidence('L1', f.source, f.text))

  const l0 = at(setup, 'L0')
  const causes: string[] = []
  if (l0) {
    if (l0.kvm.nesting.nested === false) {
      causes.push('nested is disabled on L0 (see NESTED_DISABLED_L0)')
      ev.push(evidence('L0', paramSource(l0, vendorModuleOf(l0) ?? 'kvm_intel', 'nested'), 'nested disabled'))
    }
    const below = qemuRunningBelow(l0, l1)
    const procs = below ? [below.process] : l0.qemu.processes.filter((p) => !processRunsOther(p, l1))
    for (const p of procs) {
      const cause = cpuOptionCause(p.cpuModel, flagName)
      if (cause) {
        causes.push(cause)
        ev.push(evidence('L0', `${describeProcess(p)} argv`, `-cpu ${p.cpuModel ?? '(none)'}: ${cause}`))
      }
    }
    for (const d of l0.libvirt.domains) {
      const cause = libvirtCpuCause(d, flagName)
      if (cause) {
        causes.push(cause)
        ev.push(evidence('L0', d.xmlSource ?? `libvirt domain ${d.name}`, cause))
      }
    }
  }
  const named = l1.cpu.modelName.value
  if (named && QEMU_NAMED_MODEL.test(named)) {
    causes.push(`L1's CPU model "${named}" is a QEMU named model, not -cpu host`)
    ev.push(evidence('L1', l1.cpu.modelName.source || '/proc/cpuinfo', `model name: ${named} (a QEMU CPU model name)`))
  }
  const pvm = nonVmxSvmKvmModule(l1)
  if (pvm) {
    return [
      finding('VMX_NOT_EXPOSED', 'info', `L1 has no ${flagName}; its KVM comes from ${pvm} instead (see KVM_NON_VMX_SVM_MODULE)`, l0 ? ['L0', 'L1'] : ['L1'], ev,
        `Expected with ${pvm}. For hardware-assisted nesting instead, expose ${flagName} to L1: enable nested on L0 and run L1 with -cpu host.`),
    ]
  }
  const causeText = causes.length > 0 ? `: ${[...new Set(causes)].join('; ')}` : ''
  return [
    finding('VMX_NOT_EXPOSED', 'fail', `${flagName} is not exposed to L1, so KVM cannot run in L1${causeText}`, l0 ? ['L0', 'L1'] : ['L1'], ev,
      `On L0: make sure nested=1 (NESTED_DISABLED_L0), then start L1 with -cpu host, or add ${flagName}=on to a named model (e.g. -cpu Haswell-noTSX-IBRS,vmx=on); with libvirt use <cpu mode='host-passthrough'/> or <feature policy='require' name='${flagName}'/>. Restart L1 and check that /proc/cpuinfo in L1 lists ${flagName}.`),
  ]
}

/**
 * Model names QEMU gives its named CPU models (target/i386/cpu.c model_id), as a guest sees them;
 * with -cpu host the guest sees the real processor's name instead.
 */
const QEMU_NAMED_MODEL = /^(Intel (Xeon|Core|Atom) Processor \(|Intel Core i7 9xx|AMD EPYC(-\w+)? Processor|AMD Opteron 6\w+ \(|AMD Opteron\(tm\) Processor|QEMU Virtual CPU|QEMU TCG CPU|Common (32-bit )?KVM processor)/

/** Why a QEMU -cpu option hides vmx/svm from the guest, or null when it passes it through. */
export function cpuOptionCause(cpuModel: string | null, flagName: 'vmx' | 'svm'): string | null {
  // QEMU's default qemu64 model carries svm but not vmx.
  if (cpuModel === null) return flagName === 'vmx' ? 'no -cpu option: the default qemu64 model has no vmx' : null
  const [model, ...props] = cpuModel.split(',')
  const removed = props.some((p) => p === `-${flagName}` || p === `${flagName}=off` || p === `${flagName}=false`)
  if (removed) return `-cpu ${model} explicitly removes ${flagName}`
  const hidden = props.some((p) => p === '-hypervisor' || p === 'hypervisor=off')
  const hiddenNote = hidden ? ' (and -hypervisor hides that L1 is a guest at all)' : ''
  if (model === 'host' || model === 'max') return hidden ? `-cpu ${model},-hypervisor hides that L1 is a guest at all` : null
  const added = props.some((p) => p === `+${flagName}` || p === `${flagName}=on` || p === `${flagName}=true` || p === flagName)
  if (added) return hidden ? `-hypervisor hides that L1 is a guest at all` : null
  return `named model ${model} without ${flagName}=on${hiddenNote}`
}

function libvirtCpuCause(d: LibvirtDomain, flagName: 'vmx' | 'svm'): string | null {
  const disabled = d.cpuFeatures.find((f) => f.name === flagName && (f.policy === 'disable' || f.policy === 'forbid'))
  if (disabled) return `libvirt domain ${d.name} has <feature policy='${disabled.policy}' name='${flagName}'/>`
  if (d.cpuMode === 'host-model') return `libvirt domain ${d.name} uses <cpu mode='host-model'>, which older libvirt/QEMU expand without ${flagName}`
  if (d.cpuMode === 'custom' && !d.cpuFeatures.some((f) => f.name === flagName && (f.policy === 'require' || f.policy === 'force'))) {
    return `libvirt domain ${d.name} uses custom model ${d.cpuModel ?? '?'} without <feature policy='require' name='${flagName}'/>`
  }
  return null
}
