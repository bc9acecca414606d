/**
 * Combined reports of realistic nested setups built from the capture fixtures under
 * test/fixtures/sysroots (see its INDEX.md): each fixture is written as a bundle the way collect
 * writes it, the bundles are given to `report` out of order, and the findings, the checklist and
 * golden markdown and text renderings are checked. Goldens: test/report/__snapshots__/<setup>.md|txt.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ChecklistItem, CombinedModel} from '../../src/model/combined.js'
import {renderCombinedReport} from '../../src/render/combined.js'
import {buildCombinedReport, type CombinedReportResult} from '../../src/report.js'
import {loadFixtureCapture, SYSROOTS_DIR} from '../helpers/load-capture.js'
import {archiveNames, archiveText, bundleOf, tempDir} from '../helpers/report-run.js'

const now = new Date('2026-11-25T17:00:00Z')
let tmp: {dir: string; done: () => Promise<void>}
beforeAll(async () => {
  tmp = await tempDir('nestreport-setups-')
})
afterAll(() => tmp.done())

const haveFixtures = (names: string[]) => names.every((n) => existsSync(path.join(SYSROOTS_DIR, n, 'manifest.json')))

/** Bundles named like collect names them, given to report in the order listed. */
async function reportOf(setup: string, fixtures: string[]): Promise<CombinedReportResult> {
  const dir = path.join(tmp.dir, setup)
  const bundles: string[] = []
  for (const name of fixtures) bundles.push(await bundleOf(loadFixtureCapture(name), dir, `nestreport-${name}`))
  return buildCombinedReport({bundles, outputDir: path.join(dir, 'out'), now})
}

const findingIds = (model: CombinedModel) => model.findings.map((f) => `${f.severity} ${f.id} ${f.levels.join(',')}`)

/** "L0 ok L0/commands/dmesg.out" / "L2 n/a ..." per item: the checklist in one readable list. */
function checklistLines(items: ChecklistItem[]): string[] {
  return items.flatMap((item) =>
    Object.entries(item.perLevel).map(([level, cell]) => `${item.key} ${level} ${cell!.ok ? `ok ${cell!.where}` : cell!.notApplicable ? 'n/a' : `missing: ${cell!.why}`}`),
  )
}

async function goldens(setup: string, result: CombinedReportResult): Promise<void> {
  await expect(result.rendered).toMatchFileSnapshot(`./__snapshots__/${setup}.md`)
  await expect(renderCombinedReport(result.model, 'text')).toMatchFileSnapshot(`./__snapshots__/${setup}.txt`)
}

describe.skipIf(!haveFixtures(['intel-l0-nested-off']))('Intel L0 with nested off', () => {
  it('fails NESTED_DISABLED_L0 with the sysfs value and the modprobe.d line, and asks for the missing L1', async () => {
    const result = await reportOf('intel-l0-nested-off', ['intel-l0-nested-off'])
    const {model} = result
    expect(model.levels.map((l) => l.level)).toEqual(['L0'])
    const nested = model.findings.find((f) => f.id === 'NESTED_DISABLED_L0')!
    expect(nested.severity).toBe('fail')
    expect(nested.evidence[0]).toEqual({level: 'L0', source: '/sys/module/kvm_intel/parameters/nested', text: 'nested = N'})
    expect(nested.evidence.some((e) => e.source.startsWith('/etc/modprobe.d/kvm.conf:'))).toBe(true)
    expect(nested.advice).toContain("echo 'options kvm_intel nested=1' > /etc/modprobe.d/kvm.conf")
    expect(findingIds(model).filter((f) => !f.startsWith('pass'))).toEqual(['fail NESTED_DISABLED_L0 L0', 'warn LEVEL_MISSING L1', 'info LEVEL_MISSING L2'])
    expect(checklistLines(model.checklist)).toEqual([
      'kernel-version L0 ok L0/root/proc/sys/kernel/osrelease',
      'libvirt-version L0 ok L0/commands/libvirtd-version.out',
      'qemu-version L0 ok L0/commands/qemu-version-qemu-system-x86_64.out',
      'qemu-cmdline L0 ok L0/root/proc/4123/cmdline',
      'cpuinfo L0 ok L0/root/proc/cpuinfo',
      'lscpu L0 ok L0/commands/lscpu.out',
      'dmesg L0 ok L0/commands/dmesg.out',
      'x86info L0 missing: not installed',
      'dmidecode L0 ok L0/commands/dmidecode.out',
      'sysinfo L0 n/a',
    ])
    await goldens('intel-l0-nested-off', result)
  })
})

describe.skipIf(!haveFixtures(['intel-l0', 'tcg-l1', 'tcg-l2']))('L1 with its L2 on TCG', () => {
  it('fails L2_ON_TCG from the L1 QEMU runtime truth and from inside L2, with nesting itself healthy', async () => {
    const result = await reportOf('l2-on-tcg', ['tcg-l2', 'intel-l0', 'tcg-l1'])
    const {model} = result
    expect(model.levels.map((l) => `${l.level} ${l.bundle} ${l.assignedBy}`)).toEqual([
      'L0 nestreport-intel-l0.tar.gz detected',
      'L1 nestreport-tcg-l1.tar.gz linked',
      'L2 nestreport-tcg-l2.tar.gz linked',
    ])
    expect(model.chain).toMatch(/^L0 bare metal, .* -> L1 QEMU 7\.2\.22 -cpu host,migratable=on \(KVM\), .* -> L2 QEMU 7\.2\.22 -cpu qemu64 \(TCG\), /)
    const tcg = model.findings.find((f) => f.id === 'L2_ON_TCG')!
    expect(tcg.severity).toBe('fail')
    expect(tcg.levels).toEqual(['L1', 'L2'])
    expect(tcg.evidence.map((e) => `${e.level} ${e.source}`)).toEqual(
      expect.arrayContaining(['L1 /proc/2817/fd@links', 'L1 /run/libvirt/qemu/debian12-l2.xml', 'L2 /dev/cpu/0/cpuid@leaves']),
    )
    expect(findingIds(model).filter((f) => !f.startsWith('pass'))).toEqual(['fail L2_ON_TCG L1,L2', 'info CPU_VENDOR_MISMATCH L1,L2'])
    expect(findingIds(model)).toEqual(expect.arrayContaining(['pass NESTED_ENABLED_L0 L0', 'pass VMX_EXPOSED_L1 L1', 'pass L1_ON_KVM L0,L1']))
    const l2 = checklistLines(model.checklist).filter((l) => / L2 /.test(l))
    expect(l2).toEqual([
      'kernel-version L2 ok L2/root/proc/sys/kernel/osrelease',
      'libvirt-version L2 n/a',
      'qemu-version L2 n/a',
      'qemu-cmdline L2 n/a',
      'cpuinfo L2 ok L2/root/proc/cpuinfo',
      'lscpu L2 ok L2/commands/lscpu.out',
      'dmesg L2 ok L2/commands/dmesg.out',
      'x86info L2 n/a',
      'dmidecode L2 ok L2/commands/dmidecode.out',
      'sysinfo L2 n/a',
    ])
    await goldens('l2-on-tcg', result)
  })
})

describe.skipIf(!haveFixtures(['amd-l0', 'amd-l1', 'amd-l2']))('AMD L0 + L1 + L2, nesting healthy', () => {
  it('passes every nesting check; the nSVM WARNING seen at L0 and L1 is one bug', async () => {
    const result = await reportOf('amd-healthy', ['amd-l1', 'amd-l2', 'amd-l0'])
    const {model} = result
    expect(model.levels.map((l) => l.level)).toEqual(['L0', 'L1', 'L2'])
    expect(findingIds(model)).toEqual(expect.arrayContaining(['pass NESTED_ENABLED_L0 L0', 'pass VMX_EXPOSED_L1 L1', 'pass L2_ON_KVM L1,L2', 'pass NPT_ON L0']))
    const notPass = model.findings.filter((f) => f.severity !== 'pass').map((f) => f.id)
    for (const id of ['NESTED_DISABLED_L0', 'VMX_NOT_EXPOSED', 'L2_ON_TCG', 'DEV_KVM_MISSING', 'NPT_OFF', 'LEVEL_MISSING']) expect(notPass).not.toContain(id)
    expect(model.findings.find((f) => f.id === 'AMD_L1_MIGRATION_WITH_L2')?.severity).toBe('info')
    const same = model.findings.find((f) => f.id === 'SAME_OOPS_MULTI_LEVEL')!
    expect(same.levels).toEqual(['L0', 'L1'])
    await goldens('amd-healthy', result)
  })
})

describe.skipIf(!haveFixtures(['pvm-l1']))('An L1 on PVM like the project machine', () => {
  it('warns KVM_NON_VMX_SVM_MODULE, explains the missing svm, and asks for L0', async () => {
    const result = await reportOf('pvm-l1', ['pvm-l1'])
    const {model} = result
    const pvm = model.findings.find((f) => f.id === 'KVM_NON_VMX_SVM_MODULE')!
    expect(pvm.severity).toBe('warn')
    expect(pvm.evidence.map((e) => e.text)).toContain('nested_pvm=1')
    expect(findingIds(model).filter((f) => !f.startsWith('pass'))).toEqual(['warn LEVEL_MISSING L0', 'warn KVM_NON_VMX_SVM_MODULE L1', 'info VMX_NOT_EXPOSED L1', 'info LEVEL_MISSING L2'])
    expect(model.comparison.find((r) => r.key === 'module-kvm_pvm')?.values.L1).toContain('pvm_native=Y')
    await goldens('pvm-l1', result)
  })
})

describe.skipIf(!haveFixtures(['intel-l1-noVMX', 'intel-l0']))('An Intel L1 started with a named CPU model without vmx=on', () => {
  it('fails VMX_NOT_EXPOSED naming the QEMU model and the load failure, and DEV_KVM_MISSING', async () => {
    const {model} = await reportOf('l1-no-vmx', ['intel-l1-noVMX'])
    const vmx = model.findings.find((f) => f.id === 'VMX_NOT_EXPOSED')!
    expect(vmx.severity).toBe('fail')
    expect(vmx.title).toContain('"Intel Xeon Processor (Cascadelake)" is a QEMU named model')
    expect(vmx.evidence.filter((e) => e.text.includes('VMX not supported by CPU 0'))).toHaveLength(2)
    expect(model.findings.find((f) => f.id === 'DEV_KVM_MISSING')?.advice).toContain('fix VMX_NOT_EXPOSED on L0 first')
  })

  it('given with the L0 of another setup, says the bundles do not belong together', async () => {
    const {model} = await reportOf('mixed', ['intel-l0', 'intel-l1-noVMX'])
    const f = model.findings.find((x) => x.id === 'LEVELS_NOT_LINKED')!
    expect(f.severity).toBe('warn')
    expect(f.evidence.map((e) => e.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^-name debian12-l1, -uuid /)]))
    // L0's QEMU runs another guest: its -cpu is not blamed for this L1.
    expect(model.findings.find((x) => x.id === 'VMX_NOT_EXPOSED')!.evidence.every((e) => e.level === 'L1')).toBe(true)
    expect(model.chain).toMatch(/-> L1 under QEMU\/KVM \(machine pc-q35-10.0\), Intel Xeon Processor \(Cascadelake\)/)
  })
})

describe.skipIf(!haveFixtures(['amd-l0', 'amd-l1', 'amd-l2', 'tcg-l1']))('redaction in report', () => {
  it('--redact replaces host names the same way in every level, so the levels still link', async () => {
    const dir = path.join(tmp.dir, 'redact')
    const bundles: string[] = []
    for (const name of ['amd-l2', 'amd-l0', 'amd-l1']) bundles.push(await bundleOf(loadFixtureCapture(name), dir, `nestreport-${name}`))
    const result = await buildCombinedReport({bundles, outputDir: path.join(dir, 'out'), now, redact: true})
    expect(result.model.levels.map((l) => `${l.level}:${l.assignedBy}`)).toEqual(['L0:detected', 'L1:linked', 'L2:linked'])
    for (const name of ['epyc-host-1', 'debian13-l1', 'debian13-l2']) {
      expect(result.rendered).not.toContain(name)
      expect(await archiveText(result.archivePath, `nestreport-setup-20261125T170000Z/L1/${'root/proc/sys/kernel/hostname'}`)).not.toContain(name)
    }
    expect(result.model.levels.every((l) => l.model.redaction?.identityRedacted)).toBe(true)
  })

  it('removes secrets even from a capture no one redacted (capture-script tarballs)', async () => {
    const capture = loadFixtureCapture('tcg-l1')
    const cmdline = '/proc/2817/cmdline'
    const secret = 'hunter2-very-secret'
    capture.files.set(cmdline, Buffer.concat([capture.files.get(cmdline)!, Buffer.from(`-object\0secret,id=sec0,data=${secret}\0`)]))
    const dir = path.join(tmp.dir, 'secrets')
    const bundle = await bundleOf(capture, dir, 'script-capture')
    const result = await buildCombinedReport({bundles: [bundle], outputDir: path.join(dir, 'out'), now})
    const top = 'nestreport-setup-20261125T170000Z'
    const names = await archiveNames(result.archivePath)
    for (const name of names.filter((n) => !n.endsWith('/'))) expect(await archiveText(result.archivePath, name)).not.toContain(secret)
    expect(names).toContain(`${top}/L1${cmdline.replace(/^/, '/root')}`)
    expect(JSON.stringify(result.model)).not.toContain(secret)
  })
})
