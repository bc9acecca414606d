/**
 * Findings about the set of bundles rather than one level: a level with no bundle, a bundle whose
 * detected level contradicts what it is used as (its --level or --label), CPU vendors that cannot
 * belong to one nested KVM chain, and version mismatches that change how a report is read.
 */
import {LEVEL_ORDER, type Finding, type FindingEvidence} from '../../model/combined.js'
import type {LevelModel, LevelName} from '../../model/level.js'
import {at, cpuVendor, describeProcess, evidence, finding, levelOf, parseVersion, presentPairs, processRunsOther, runsGuest, type Setup} from './common.js'

/** LEVEL_MISSING: warn for a missing L0 or L1; for L2, warn when L1 runs a guest, info otherwise. */
export function missingLevels(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const name of LEVEL_ORDER) {
    if (at(setup, name)) continue
    const l1 = at(setup, 'L1')
    const guestRunning = name === 'L2' && l1 ? l1.qemu.processes[0] : undefined
    const severity = name === 'L2' && !guestRunning ? 'info' : 'warn'
    const ev: FindingEvidence[] = [evidence(null, 'bundles given', `no bundle is ${name}`)]
    if (guestRunning) ev.push(evidence('L1', describeProcess(guestRunning), 'L1 runs a guest, so an L2 exists'))
    out.push(
      finding('LEVEL_MISSING', severity, `No bundle from ${name}`, [name], ev,
        `Run \`nestreport collect\` on ${name} (or the capture script where Node is missing) and add its bundle to \`nestreport report\`; if one of the bundles given is ${name}, say so with --level FILE=${name}.`),
    )
  }
  return out
}

/** LEVEL_LABEL_MISMATCH (warn): the level used differs from the detected one, or the --label names another level. */
export function labelMismatch(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const used = levelOf(model)
    if (!used) continue
    const ev: FindingEvidence[] = []
    const detected = model.level.detected
    // A guest cannot see how deep it is: L1 versus L2 proven by the level above is no contradiction.
    const depthOnly = detected !== 'L0' && used !== 'L0' && setup.linked?.includes(used)
    if (detected && detected !== used && !depthOnly) {
      ev.push(evidence(used, 'level detection', `detected ${detected} (${model.level.detectedRole}): ${model.level.reasons.join('; ') || 'no reasons recorded'}`))
      ev.push(evidence(used, model.level.override ? '--level' : 'assignment', `used as ${used}`))
    }
    const label = model.capture.label
    const named = label ? /\bL([0-2])\b/i.exec(label) : null
    if (named && `L${named[1]}` !== used) ev.push(evidence(used, 'capture --label', `label "${label}" names L${named[1]}, bundle used as ${used}`))
    if (ev.length === 0) continue
    out.push(
      finding('LEVEL_LABEL_MISMATCH', 'warn', `The bundle used as ${used} looks like ${detected && detected !== used ? detected : `L${named![1]}`}`, [used], ev,
        'Check which machine each bundle came from; correct the assignment with --level FILE=L0|L1|L2. Detection can be wrong for a level that hides it is a guest (-cpu ...,-hypervisor) or runs in a container.'),
    )
  }
  return out
}

/** CPU_VENDOR_MISMATCH (warn): a lower level reports a different CPU vendor than the level above. */
export function vendorMismatch(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const {upperName, lowerName, upper, lower} of presentPairs(setup)) {
    const a = cpuVendor(upper)
    const b = cpuVendor(lower)
    if (!a || !b || a === b) continue
    // Under TCG any vendor can be emulated; L*_ON_TCG already says what matters.
    const emulated = lower.virt.hypervisor === 'tcg'
    out.push(
      finding('CPU_VENDOR_MISMATCH', emulated ? 'info' : 'warn', `${lowerName}'s CPU vendor is ${lower.cpu.vendor.value}, ${upperName}'s is ${upper.cpu.vendor.value}${emulated ? ' (emulated by TCG)' : ''}`, [upperName, lowerName],
        [evidence(upperName, upper.cpu.vendor.source, upper.cpu.vendor.value ?? ''), evidence(lowerName, lower.cpu.vendor.source, lower.cpu.vendor.value ?? '')],
        `A guest cannot use hardware virtualization of another vendor: ${lowerName} is emulated (TCG) or the bundles come from different machines. Check the assignment of bundles to levels.`),
    )
  }
  return out
}

/**
 * LEVELS_NOT_LINKED: adjacent bundles where nothing shows the upper one runs the lower one. warn when
 * the upper level's QEMUs carry -uuid values and none is the lower level's DMI UUID (the bundles
 * come from different setups); info when the link just cannot be confirmed (a libvirt domain name
 * differs from the guest's host name and no UUID is known).
 */
export function unlinkedLevels(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const {upperName, lowerName, upper, lower} of presentPairs(setup)) {
    if (runsGuest(upper, lower)) continue
    const procs = upper.qemu.processes
    const other = procs.length > 0 && procs.every((p) => processRunsOther(p, lower))
    const ev: FindingEvidence[] = [
      evidence(lowerName, lower.kernel.hostname.source || 'host name', `host name ${lower.kernel.hostname.value ?? 'unknown'}, DMI UUID ${lower.virt.dmi.product_uuid ?? 'unknown'}`),
      ...procs.map((p) => evidence(upperName, `${describeProcess(p)} argv`, `-name ${p.name ?? '(none)'}${p.argv.includes('-uuid') ? `, -uuid ${p.argv[p.argv.indexOf('-uuid') + 1]}` : ''}`)),
    ]
    if (procs.length === 0) ev.push(evidence(upperName, 'QEMU processes', 'no QEMU was running when it was captured'))
    out.push(
      finding('LEVELS_NOT_LINKED', other ? 'warn' : 'info',
        other ? `No QEMU at ${upperName} runs this ${lowerName}: the bundles may come from different setups` : `Could not confirm that ${upperName} runs this ${lowerName}`,
        [upperName, lowerName], ev,
        other
          ? `Collect ${upperName} while it runs this ${lowerName}, or give the bundles of one setup; facts of ${upperName}'s QEMU (-cpu, accelerator) say nothing about this ${lowerName}.`
          : `Capture ${upperName} while the guest runs; with plain QEMU, start it with -name guest=<${lowerName} host name> (or -uuid) so the levels can be matched.`),
    )
  }
  return out
}

/**
 * VERSION_MISMATCH: several QEMU binaries of different versions at one level (which one ran the
 * guest?), and libvirtd and virsh of different versions (a half-finished upgrade).
 */
export function versionMismatch(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const model of setup.levels) {
    const name = levelOf(model)
    if (!name) continue
    const qemu = distinctVersions(model.qemu.binaries.map((b) => ({text: b.version, source: b.source, what: b.path})))
    if (qemu.length > 1) {
      out.push(
        finding('VERSION_MISMATCH', 'warn', `${name} has QEMU binaries of ${qemu.length} different versions`, [name],
          qemu.map((q) => evidence(name, q.source, `${q.what}: ${q.text}`)),
          `Say which binary ran the guest (the QEMU command lines at ${name} show its path); a QEMU upgraded under a running guest keeps the old version until restarted.`),
      )
    }
    const libvirt = libvirtMismatch(model, name)
    if (libvirt) out.push(libvirt)
  }
  return out
}

function libvirtMismatch(model: LevelModel, name: LevelName): Finding | null {
  const d = model.libvirt.libvirtdVersion
  const v = model.libvirt.virshVersion
  const versions = distinctVersions([
    {text: d.value, source: d.source, what: 'libvirtd'},
    {text: v.value, source: v.source, what: 'virsh'},
  ])
  if (versions.length < 2) return null
  return finding('VERSION_MISMATCH', 'info', `${name}'s libvirtd and virsh report different versions`, [name],
    versions.map((x) => evidence(name, x.source, `${x.what}: ${x.text}`)),
    'Restart libvirtd after an upgrade, and quote the daemon version in the report.')
}

function distinctVersions(items: Array<{text: string | null; source: string; what: string}>): Array<{text: string; source: string; what: string}> {
  const seen = new Map<string, {text: string; source: string; what: string}>()
  for (const i of items) {
    const v = parseVersion(i.text)
    if (!v || !i.text) continue
    const key = v.join('.')
    if (!seen.has(key)) seen.set(key, {text: i.text, source: i.source, what: i.what})
  }
  return [...seen.values()]
}
