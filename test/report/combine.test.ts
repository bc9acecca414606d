import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {combineLevels, parseLevelCorrections} from '../../src/analyse/combine.js'
import {NestreportError} from '../../src/lib/errors.js'
import {CombinedModel} from '../../src/model/combined.js'
import {amdL0Model, asLevel, edit, intelL0Model, kvmL1Model, l2Model, pvmL1Model} from '../helpers/combined-fixtures.js'

const now = new Date('2026-11-25T16:00:00Z')

function usageError(fn: () => unknown): NestreportError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(NestreportError)
    expect((error as NestreportError).exitCode).toBe(2)
    return error as NestreportError
  }
  throw new Error('expected a usage error')
}

describe('combineLevels: level assignment', () => {
  it('orders L0 -> L2 whatever the bundle order, and says why each is its level', () => {
    const model = combineLevels(
      [
        {model: l2Model('kvm'), bundleName: 'c.tar.gz'},
        {model: amdL0Model(), bundleName: 'a.tar.gz'},
        {model: kvmL1Model(), bundleName: 'b.tar.gz'},
      ],
      {now},
    )
    expect(model.levels.map((l) => `${l.level}=${l.bundle}:${l.assignedBy}`)).toEqual(['L0=a.tar.gz:detected', 'L1=b.tar.gz:linked', 'L2=c.tar.gz:linked'])
    expect(model.levels[1].why).toBe('run by a.tar.gz (QEMU -name l1 matches its host name (pid 9120)); detected L1 (hypervisor flag set; KVMKVMKVM signature; /dev/kvm present)')
    expect(model.levels.map((l) => l.position)).toEqual([2, 3, 1])
    expect(model.missingLevels).toEqual([])
    expect(model.generatedAt).toBe('2026-11-25T16:00:00.000Z')
    expect(() => CombinedModel.parse(model)).not.toThrow()
  })

  it('a command-line correction beats the bundle override, which beats detection', () => {
    const captured = edit(kvmL1Model(), (m) => {
      m.level.override = 'L2'
      m.level.effective = 'L2'
    })
    const model = combineLevels(
      [
        {model: amdL0Model(), bundleName: 'a'},
        {model: captured, bundleName: 'b'},
        {model: kvmL1Model(), bundleName: 'c', levelOverride: 'L1'},
      ],
      {now},
    )
    expect(model.levels.map((l) => `${l.level}:${l.bundle}:${l.assignedBy}`)).toEqual(['L0:a:detected', 'L1:c:command-line', 'L2:b:bundle-override'])
    expect(model.levels[1].model.level.override).toBe('L1')
    expect(model.levels[2].why).toMatch(/^--level at capture time says L2; detected L1/)
    expect(model.findings.some((f) => f.id === 'LEVEL_LABEL_MISMATCH' && f.levels[0] === 'L2')).toBe(true)
  })

  it('refuses two bundles on one level, naming both and the fix', () => {
    const e = usageError(() => combineLevels([{model: kvmL1Model(), bundleName: 'x.tar.gz'}, {model: pvmL1Model(), bundleName: 'y.tar.gz'}]))
    expect(e.message).toBe('2 bundles are L1: x.tar.gz (detected), y.tar.gz (detected); say which level each is with --level FILE=L0|L1|L2')
  })

  it('places a bundle below the bundle whose QEMU runs it, whatever detection said', () => {
    // Both look like guest hypervisors from inside (an L2 with svm loads kvm_amd too).
    const l2WithKvm = edit(kvmL1Model(), (m) => {
      m.kernel.hostname.value = 'l2'
      m.capture.label = null
      m.qemu.processes = []
    })
    const model = combineLevels([{model: l2WithKvm, bundleName: 'x'}, {model: kvmL1Model(), bundleName: 'y'}, {model: amdL0Model(), bundleName: 'z'}], {now})
    expect(model.levels.map((l) => `${l.level}=${l.bundle}:${l.assignedBy}`)).toEqual(['L0=z:detected', 'L1=y:linked', 'L2=x:linked'])
    expect(model.findings.some((f) => f.id === 'LEVEL_LABEL_MISMATCH')).toBe(false)
    // Linked by the DMI UUID the QEMU above was started with.
    const byUuid = edit(l2WithKvm, (m) => {
      m.kernel.hostname.value = 'renamed'
      m.virt.dmi.product_uuid = 'C41ADFB9-0000-4000-8000-000000000001'
    })
    const l1 = edit(kvmL1Model(), (m) => {
      m.qemu.processes[0].argv.push('-uuid', 'c41adfb9-0000-4000-8000-000000000001')
    })
    const linked = combineLevels([{model: byUuid, bundleName: 'x'}, {model: l1, bundleName: 'y'}], {now})
    expect(linked.levels.map((l) => `${l.level}:${l.assignedBy}`)).toEqual(['L1:detected', 'L2:linked'])
    expect(linked.levels[1].why).toMatch(/^run by y \(QEMU -uuid matches its DMI product UUID \(pid 7001\)\)/)
  })

  it('an explicit --level beats a link', () => {
    const model = combineLevels([{model: amdL0Model(), bundleName: 'a'}, {model: kvmL1Model(), bundleName: 'b', levelOverride: 'L2'}], {now})
    expect(model.levels.map((l) => `${l.level}:${l.assignedBy}`)).toEqual(['L0:detected', 'L2:command-line'])
  })

  it('places one undetected bundle on the only free level, and refuses when that is ambiguous', () => {
    const unknown = edit(asLevel(l2Model(), null, null), (m) => {
      m.kernel.hostname.value = 'unlinked'
    })
    const model = combineLevels([{model: amdL0Model(), bundleName: 'a'}, {model: kvmL1Model(), bundleName: 'b'}, {model: unknown, bundleName: 'u'}], {now})
    expect(model.levels[2]).toMatchObject({level: 'L2', assignedBy: 'only-level-left'})
    const e = usageError(() => combineLevels([{model: amdL0Model(), bundleName: 'a'}, {model: unknown, bundleName: 'u'}]))
    expect(e.message).toBe('cannot tell the level of u: give it with --level FILE=L0|L1|L2')
  })

  it('the order of the bundles never changes the result', () => {
    const inputs = [
      {model: amdL0Model(), bundleName: 'a'},
      {model: edit(kvmL1Model(), (m) => (m.capture.label = null)), bundleName: 'b'},
      {model: edit(l2Model('tcg'), (m) => (m.capture.label = null)), bundleName: 'c'},
    ]
    const reference = combineLevels(inputs, {now})
    const strip = (m: CombinedModel) => ({...m, levels: m.levels.map((l) => ({...l, position: 0}))})
    fc.assert(
      fc.property(fc.shuffledSubarray(inputs, {minLength: 3, maxLength: 3}), (order) => {
        expect(strip(combineLevels(order, {now}))).toEqual(strip(reference))
      }),
      {numRuns: 20},
    )
  })

  it('refuses an empty set', () => {
    usageError(() => combineLevels([]))
  })
})

describe('parseLevelCorrections', () => {
  const bundles = ['/tmp/x/nestreport-L1-a.tar.gz', 'b.tar.gz']
  it('accepts FILE=LEVEL by path or base name and #N=LEVEL', () => {
    expect([...parseLevelCorrections(['nestreport-L1-a.tar.gz=L2', '#2=l0'], bundles)]).toEqual([
      [0, 'L2'],
      [1, 'L0'],
    ])
  })
  it('rejects unknown files, bad positions, bad syntax and contradictions', () => {
    expect(usageError(() => parseLevelCorrections(['c.tar.gz=L1'], bundles)).message).toContain('c.tar.gz is not one of the bundles given')
    expect(usageError(() => parseLevelCorrections(['#3=L1'], bundles)).message).toContain('there are 2 bundles')
    expect(usageError(() => parseLevelCorrections(['L1'], bundles)).message).toContain('expected FILE=L0|L1|L2')
    expect(usageError(() => parseLevelCorrections(['#1=L1', 'nestreport-L1-a.tar.gz=L2'], bundles)).message).toContain('two levels')
  })
})

describe('chain, comparison and checklist', () => {
  it('chain describes each level by the QEMU above it', () => {
    const model = combineLevels([{model: intelL0Model(), bundleName: 'a'}, {model: pvmL1Model(), bundleName: 'b'}], {now})
    expect(model.chain).toBe(
      'L0 bare metal, Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz, Linux 6.8.0-49-generic, KVM kvm_intel nested=Y' +
        ' -> L1 QEMU 8.2.2 -cpu host,migratable=on (KVM), AMD EPYC, Linux 6.18.44-fc-v657, KVM kvm_pvm' +
        ' -> L2 QEMU 7.2.22 -cpu qemu64,svm=on (TCG) (no bundle)',
    )
  })

  it('chain of a lone L1 uses what the level detected itself', () => {
    const model = combineLevels([{model: edit(pvmL1Model(), (m) => (m.qemu.processes = [])), bundleName: 'b'}], {now})
    expect(model.chain).toBe('L0 (no bundle) -> L1 under KVM (Firecracker), AMD EPYC, Linux 6.18.44-fc-v657, KVM kvm_pvm')
  })

  it('comparison has one column per level, nesting parameters and vendor-module rows', () => {
    const model = combineLevels([{model: amdL0Model(), bundleName: 'a'}, {model: pvmL1Model(), bundleName: 'b'}], {now})
    const row = (key: string) => model.comparison.find((r) => r.key === key)!
    expect(row('cpu-vendor')).toMatchObject({values: {L0: 'AuthenticAMD', L1: 'AuthenticAMD'}, differs: false})
    expect(row('virt-flags').values).toEqual({L0: 'no / yes / no', L1: 'no / no / yes'})
    expect(row('param-nested').values).toEqual({L0: '1', L1: null})
    expect(row('module-kvm_pvm').values.L1).toContain('pvm_native=Y')
    expect(row('accel-below').values).toEqual({L0: 'kvm', L1: 'tcg'})
    expect(row('cpu-below').values).toEqual({L0: 'host,migratable=on', L1: 'qemu64,svm=on'})
    expect(row('dev-kvm').values.L1).toBe('present, 0600, 0:0, accessible')
    expect(model.comparison.map((r) => r.key).filter((k) => k.startsWith('param-'))).toEqual([
      'param-nested',
      'param-npt',
      'param-avic',
      'param-vls',
      'param-vgif',
      'param-nrips',
      'param-ignore_msrs',
      'param-tdp_mmu',
    ])
  })

  it('checklist: ticks with archive paths, reasons from notCollected, not-applicable items', () => {
    const model = combineLevels([{model: intelL0Model(), bundleName: 'a'}, {model: pvmL1Model(), bundleName: 'b'}], {now})
    const item = (key: string) => model.checklist.find((c) => c.key === key)!.perLevel
    expect(model.checklist.map((c) => c.item)).toEqual([
      'Kernel version',
      'libvirt version',
      'QEMU version',
      'QEMU command line',
      '/proc/cpuinfo',
      'lscpu',
      'Full dmesg',
      'x86info -a (x86)',
      'dmidecode (x86)',
      '/proc/sysinfo (s390x)',
    ])
    expect(item('kernel-version').L1).toEqual({ok: true, where: 'L1/root/proc/sys/kernel/osrelease'})
    expect(item('dmesg').L0).toEqual({ok: true, where: 'L0/commands/journal-kernel.out'})
    expect(item('qemu-cmdline').L0).toEqual({ok: true, where: 'L0/root/proc/9120/cmdline'})
    expect(item('dmidecode').L0).toEqual({ok: false, why: 'needs root (captured as uid 1000)'})
    expect(item('x86info').L1).toEqual({ok: false, why: 'not installed'})
    expect(item('sysinfo').L0).toEqual({ok: false, notApplicable: true, why: 's390x only'})
  })
})
