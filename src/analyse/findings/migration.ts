/**
 * Migrating or saving an L1 while it runs an L2. running-nested-guests.rst: on Intel this works from
 * Linux 5.3 and QEMU 4.2 on; on AMD, migrating or saving an L1 with a running L2 is undefined
 * ("kernel BUG!", oops, panic). Migration is "in play" when a QEMU was started with -incoming or a
 * libvirt log mentions migration or savevm.
 */
import type {Finding, FindingEvidence} from '../../model/combined.js'
import type {LevelModel, LevelName} from '../../model/level.js'
import {at, describeProcess, evidence, finding, qemuVersions, type Setup, vendorModuleOf, versionBelow} from './common.js'

const MIGRATION_TEXT = /migrat|savevm|snapshot|-incoming/i

function migrationEvidence(model: LevelModel, name: LevelName): FindingEvidence[] {
  const out: FindingEvidence[] = []
  for (const p of model.qemu.processes) {
    if (p.incomingMigration) out.push(evidence(name, `${describeProcess(p)} argv`, 'started with -incoming (migration target)'))
  }
  for (const d of model.libvirt.domains) {
    if (d.lastCommandLine?.includes('-incoming')) out.push(evidence(name, d.logFile ?? `libvirt domain ${d.name}`, `${d.name} last started with -incoming`))
    for (const e of d.errors) {
      if (MIGRATION_TEXT.test(e.text)) out.push(evidence(name, `${d.logFile ?? d.name} line ${e.line}`, e.text))
    }
  }
  return out
}

/** An L2 runs with KVM inside L1: L1's QEMU holds KVM, or L2 itself sees KVM. */
function l2RunsOnKvm(setup: Setup): FindingEvidence | null {
  const l1 = at(setup, 'L1')
  const p = l1?.qemu.processes.find((x) => x.accel === 'kvm')
  if (p) return evidence('L1', describeProcess(p), 'runs an L2 with KVM')
  const l2 = at(setup, 'L2')
  if (l2 && (l2.virt.hypervisor === 'kvm' || l2.virt.hypervisor === 'pvm')) return evidence('L2', 'derived', `L2 runs under ${l2.virt.hypervisor}`)
  return null
}

/** NESTED_MIGRATION_UNSUPPORTED: Intel L0 older than Linux 5.3 or QEMU 4.2 (warn with migration seen, info otherwise). */
export function intelNestedMigration(setup: Setup): Finding[] {
  const l0 = at(setup, 'L0')
  if (!l0 || vendorModuleOf(l0) !== 'kvm_intel') return []
  const ev: FindingEvidence[] = []
  if (versionBelow(l0.kernel.release.value, [5, 3])) ev.push(evidence('L0', l0.kernel.release.source, `kernel ${l0.kernel.release.value} (older than 5.3)`))
  for (const q of qemuVersions(l0)) {
    if (versionBelow(q.version, [4, 2])) ev.push(evidence('L0', q.source, `${q.path} ${q.version} (older than 4.2)`))
  }
  if (ev.length === 0) return []
  const migration = [...migrationEvidence(l0, 'L0'), ...(at(setup, 'L1') ? migrationEvidence(at(setup, 'L1')!, 'L1') : [])]
  const severity = migration.length > 0 ? 'warn' : 'info'
  return [
    finding('NESTED_MIGRATION_UNSUPPORTED', severity, `Live migration of an L1 running L2 is not supported on this L0 (Intel needs Linux 5.3 and QEMU 4.2)${migration.length > 0 ? ', and migration is in play' : ''}`,
      ['L0'], [...ev, ...migration],
      'Do not migrate or save an L1 while it runs L2 on this L0; upgrade L0 to Linux 5.3+ and QEMU 4.2+ for nested state migration. Shut L2 down before migrating L1.'),
  ]
}

/** AMD_L1_MIGRATION_WITH_L2: AMD L0 and an L2 running on KVM in L1 (warn with migration seen, info otherwise). */
export function amdL1Migration(setup: Setup): Finding[] {
  const l0 = at(setup, 'L0')
  if (!l0 || vendorModuleOf(l0) !== 'kvm_amd') return []
  const running = l2RunsOnKvm(setup)
  if (!running) return []
  const migration = migrationEvidence(l0, 'L0')
  const seen = migration.length > 0
  return [
    finding('AMD_L1_MIGRATION_WITH_L2', seen ? 'warn' : 'info',
      seen ? 'L1 was migrated or saved while an L2 runs on AMD: undefined behaviour per the kernel documentation' : 'Do not migrate or save L1 while its L2 runs (AMD: undefined behaviour per the kernel documentation)',
      ['L0', 'L1'], [evidence('L0', '/sys/module/kvm_amd', 'L0 uses kvm_amd'), running, ...migration],
      'Shut down (or at least stop) every L2 before migrating, saving or snapshotting L1 on AMD; a crash after such a migration is expected behaviour, not a new bug.'),
  ]
}
