/**
 * The view model of a level report: plain objects and strings (handlebars refuses class getters),
 * worded once here so the markdown and the plain-text templates say the same thing. Templates only
 * lay it out and escape it.
 */
import {hypervisorName} from '../model/hypervisor-names.js'
import type {LevelModel} from '../model/level.js'
import {onOff, plural, yesNo} from './engine.js'
import {kvmSection, libvirtSection, PARAMETER_NOTES, qemuSection} from './level-view-stack.js'
import {fromSourced, orNone, row} from './rows.js'
import {levelVerdict, roleWords, vmEvidence} from './verdict.js'

function levelSection(model: LevelModel) {
  const {detected, override, effective, detectedRole, reasons} = model.level
  let how: string
  if (override === null) how = detected === null ? 'the evidence was not enough to tell the level' : 'detected from the evidence'
  else if (detected === null) how = `given with --level ${override}; detection could not tell`
  else if (detected === override) how = `given with --level ${override}, which agrees with detection`
  else how = `given with --level ${override}; the evidence says ${detected}`
  return {
    effective: effective ?? 'unknown',
    detected: detected ?? 'unknown',
    override,
    role: roleWords(detectedRole),
    how,
    reasons,
  }
}

function hypervisorSection(model: LevelModel) {
  const v = model.virt
  const name = hypervisorName(v.hypervisor)
  return {
    // The detail often names the hypervisor already ("Firecracker (KVM)"); say it once.
    summary: v.hypervisorDetail === null ? name : v.hypervisorDetail.includes(name) ? v.hypervisorDetail : `${name} (${v.hypervisorDetail})`,
    isGuest: yesNo(v.isGuest),
    evidence: vmEvidence(model),
    container: {
      kind: v.container.kind,
      summary:
        v.container.kind === null
          ? 'no container detected'
          : `runs inside a ${v.container.kind} container; this is separate from the VM answer above`,
      evidence: v.container.evidence,
    },
    tools: [
      row('systemd-detect-virt --vm', orNone(v.systemdDetectVirt.vm, 'not run')),
      row('systemd-detect-virt --container', orNone(v.systemdDetectVirt.container, 'not run')),
      row('virt-what', v.virtWhat === null ? 'not run' : v.virtWhat.length > 0 ? v.virtWhat.join(', ') : '(no output)'),
      row('clocksource', `current ${orNone(v.clocksource.current, 'unknown')}, available ${v.clocksource.available.join(' ') || 'unknown'}`),
    ],
    dmi: Object.entries(v.dmi).map(([key, value]) => row(key, value, `/sys/class/dmi/id/${key}`)),
  }
}

function cpuSection(model: LevelModel) {
  const c = model.cpu
  const fms = [c.family, c.model, c.stepping].map((f) => (f.value === null ? '?' : String(f.value))).join(' / ')
  const {vmx, svm, hypervisor} = c.virtFlags
  let virtNote: string
  if (vmx || svm) virtNote = `${vmx ? 'VMX' : 'SVM'} is exposed: this level can run KVM on hardware virtualization`
  else if (hypervisor) virtNote = 'No vmx/svm flag: the level below does not expose hardware virtualization to this guest'
  else virtNote = 'No vmx/svm flag and no hypervisor flag'
  return {
    facts: [
      fromSourced('Model name', c.modelName),
      fromSourced('Vendor', c.vendor),
      row('Family / model / stepping', fms, c.family.source),
      fromSourced('Microcode', c.microcode),
      fromSourced('Architecture', c.arch),
      fromSourced('Logical CPUs', c.logicalCpus),
    ],
    virtFlags: [row('vmx', yesNo(vmx), c.flagsSource), row('svm', yesNo(svm), c.flagsSource), row('hypervisor', yesNo(hypervisor), c.flagsSource)],
    virtNote,
    cpuid:
      c.cpuid === null
        ? null
        : [
            row('Hypervisor signature (0x40000000)', orNone(c.cpuid.hypervisorSignature), c.cpuid.source),
            row('Max hypervisor leaf', c.cpuid.maxHypervisorLeaf === null ? 'unknown' : `0x${c.cpuid.maxHypervisorLeaf.toString(16)}`, c.cpuid.source),
            row('VMX bit (1:ECX[5])', yesNo(c.cpuid.vmx), c.cpuid.source),
            row('SVM bit (0x80000001:ECX[2])', yesNo(c.cpuid.svm), c.cpuid.source),
            row('Hypervisor bit (1:ECX[31])', yesNo(c.cpuid.hypervisorBit), c.cpuid.source),
          ],
    lscpu:
      c.lscpu === null
        ? null
        : [
            row('Hypervisor vendor', orNone(c.lscpu.hypervisorVendor, '(not shown)'), 'command:lscpu'),
            row('Virtualization type', orNone(c.lscpu.virtualizationType, '(not shown)'), 'command:lscpu'),
            row('Virtualization', orNone(c.lscpu.virtualization, '(not shown)'), 'command:lscpu'),
          ],
    flags: c.flags.join(' '),
    flagCount: c.flags.length,
    flagsSource: c.flagsSource,
    vulnerabilities: Object.entries(c.vulnerabilities).map(([name, value]) => row(name, value, `/sys/devices/system/cpu/vulnerabilities/${name}`)),
  }
}

function kernelSection(model: LevelModel) {
  const k = model.kernel
  const t = k.tainted
  let taint: string
  if (t.value === null) taint = 'unknown'
  else if (t.value === 0) taint = '0 (not tainted)'
  else taint = `${t.value} = ${t.flags.map((f) => f.letter).join('')}`
  const os = k.os.prettyName ?? ([k.os.id, k.os.versionId].filter(Boolean).join(' ') || 'unknown')
  return {
    facts: [fromSourced('Release', k.release), row('OS', os, k.os.source), fromSourced('Hostname', k.hostname), row('Tainted', taint, t.source)],
    version: k.version.value,
    versionSource: k.version.source,
    cmdline: k.cmdline.value,
    cmdlineSource: k.cmdline.source,
    taintFlags: t.flags,
  }
}

function kernelLogSection(model: LevelModel) {
  const k = model.kernelLog
  return {
    source: k.source ?? 'none readable',
    extraSources: k.extraSources,
    lines: k.lines,
    panicked: yesNo(k.panicked),
    oopsCount: k.oopses.length,
    kvmMessageCount: k.kvmMessages.length,
    oopses: k.oopses.map((o) => ({
      title: o.title,
      facts: [
        row('kind', o.kind),
        row('lines', `${o.startLine}-${o.endLine}`, o.source),
        row('stack hash', o.stackHash),
        row('KVM-related', yesNo(o.kvmRelated)),
        row('panicked', yesNo(o.panicked)),
      ],
      text: o.text,
    })),
    kvmMessages: k.kvmMessages,
  }
}

function redactionSection(model: LevelModel) {
  const r = model.redaction
  const identityWarning =
    'Identity redaction was not applied (--redact was not used): host names, IP and MAC addresses, user names and machine IDs may be present in this report and its bundle.'
  if (r === null) {
    return {ran: false, identity: `The redaction stage did not run for this report. ${identityWarning}`, secretsRemoved: []}
  }
  return {
    ran: true,
    identity: r.identityRedacted ? 'Identity redaction was applied (--redact): host names, addresses, user names and machine IDs were replaced.' : identityWarning,
    secretsRemoved: r.secretsRemoved,
  }
}

function provenanceSection(model: LevelModel) {
  const c = model.capture
  return [
    row('Tool', `${model.tool.name} ${model.tool.version}`),
    row('Report schema', `${model.schema} version ${model.schemaVersion}`),
    row('Capture source', c.source === 'live' ? 'live (this machine)' : c.source === 'sysroot' ? 'sysroot (a directory given with --sysroot)' : 'script (the POSIX capture script)'),
    row('Producer', c.producer),
    row('Captured', `${c.startedAt} to ${c.finishedAt}`),
    row('User', c.user.root ? `uid ${c.user.uid} (root)` : `uid ${c.user.uid} (not root: files that need root are listed under Not collected)`),
    row('Command timeout', `${c.timeoutSeconds} s`),
    row('Label', orNone(c.label)),
  ]
}

/** The versions and switches a developer asks for first, on one screen. */
function glanceSection(model: LevelModel) {
  const {cpu, kernel, kvm, qemu, libvirt, kernelLog} = model
  const known = (value: unknown) => (value === null || value === undefined ? '?' : String(value))
  const os = kernel.os.prettyName ? ` (${kernel.os.prettyName})` : ''
  const flags = (['vmx', 'svm', 'hypervisor'] as const).map((f) => `${f} ${yesNo(cpu.virtFlags[f])}`).join(', ')
  let devKvm = 'state unknown'
  if (kvm.devKvm.present === false) devKvm = 'absent'
  if (kvm.devKvm.present === true) {
    devKvm = `present, mode ${known(kvm.devKvm.mode)}, owner ${known(kvm.devKvm.owner)}, from ${kvm.vendorModule ?? 'an unidentified module'}`
  }
  const switches = Object.entries(kvm.nesting)
    .filter(([name, value]) => value !== null && (name === 'nested' || name === 'nested_pvm' || name in PARAMETER_NOTES))
    .map(([name, value]) => `${name}=${onOff(value)}`)
  const qemuVersions = [...new Set(qemu.binaries.map((b) => b.version ?? `${b.path} (version unknown)`))]
  const oopses = kernelLog.oopses.length
  return [
    row('Kernel', `${known(kernel.release.value)}${os}`),
    row('CPU', `${known(cpu.modelName.value)} (${known(cpu.vendor.value)} ${known(cpu.family.value)}/${known(cpu.model.value)}/${known(cpu.stepping.value)}, microcode ${known(cpu.microcode.value)})`),
    row('Virtualization flags', flags),
    row('/dev/kvm', devKvm),
    row('Nesting switches', switches.length > 0 ? switches.join(', ') : 'none present'),
    row('QEMU', qemuVersions.length > 0 ? qemuVersions.join('; ') : 'not found'),
    row('QEMU processes', qemu.processes.length > 0 ? qemu.processes.map((p) => `${p.name ?? `pid ${p.pid}`} on ${p.accel.toUpperCase()}`).join(', ') : 'none running'),
    row('libvirt', libvirt.libvirtdVersion.value ?? 'not found'),
    row('Kernel log', `${plural(oopses, 'oops/warning report', 'oops/warning reports')}, ${plural(kernelLog.kvmMessages.length, 'KVM message', 'KVM messages')}${kernelLog.panicked ? ', PANICKED' : ''}`),
  ]
}

export function levelView(model: LevelModel) {
  return {
    title: `nestreport: ${model.level.effective ?? 'level unknown'} on ${model.kernel.hostname.value ?? 'unknown host'}`,
    verdict: levelVerdict(model),
    level: levelSection(model),
    glance: glanceSection(model),
    hypervisor: hypervisorSection(model),
    cpu: cpuSection(model),
    kernel: kernelSection(model),
    kvm: kvmSection(model),
    qemu: qemuSection(model),
    libvirt: libvirtSection(model),
    kernelLog: kernelLogSection(model),
    notCollected: model.notCollected,
    redaction: redactionSection(model),
    provenance: provenanceSection(model),
  }
}

export type LevelView = ReturnType<typeof levelView>
