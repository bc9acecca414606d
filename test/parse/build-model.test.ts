/**
 * buildLevelModel on every capture fixture under test/fixtures/sysroots: the model validates, and
 * the facts each fixture was made to show come out. Fixtures land as their authors commit them;
 * each present one is checked, and the expectations below name what each must show.
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {HypervisorId, LevelName} from '../../src/model/level.js'
import {LevelModel} from '../../src/model/level.js'
import {buildLevelModel} from '../../src/parse/index.js'
import {captureOf, fixtureCaptureNames, loadFixtureCapture} from '../helpers/load-capture.js'

interface Expectation {
  level: LevelName
  isGuest: boolean
  hypervisor: HypervisorId
  vendorModule?: string | null
  nested?: boolean | null
  /** Accelerators of the running QEMU processes, by runtime truth. */
  qemuAccels?: string[]
  /** A crash report the kernel log must yield, with its raw lines. */
  oops?: RegExp
}

const EXPECTED: Record<string, Expectation> = {
  'pvm-l1': {level: 'L1', isGuest: true, hypervisor: 'kvm', vendorModule: 'kvm_pvm'},
  'intel-l0-nested-off': {level: 'L0', isGuest: false, hypervisor: 'none', vendorModule: 'kvm_intel', nested: false},
  'intel-l0': {level: 'L0', isGuest: false, hypervisor: 'none', vendorModule: 'kvm_intel', nested: true},
  'amd-l0': {level: 'L0', isGuest: false, hypervisor: 'none', vendorModule: 'kvm_amd', nested: true},
  'amd-l1': {level: 'L1', isGuest: true, hypervisor: 'kvm', vendorModule: 'kvm_amd', qemuAccels: ['kvm'], oops: /svm_set_nested_state/},
  'amd-l2': {level: 'L2', isGuest: true, hypervisor: 'kvm'},
  // A KVM guest (L1) whose own guest (L2) runs on TCG.
  'tcg-l1': {level: 'L1', isGuest: true, hypervisor: 'kvm', qemuAccels: ['tcg']},
  'tcg-l2': {level: 'L2', isGuest: true, hypervisor: 'tcg'},
  // vmx not exposed: no /dev/kvm, "kvm_intel: VMX not supported by CPU 0" in dmesg.
  'intel-l1-noVMX': {level: 'L1', isGuest: true, hypervisor: 'kvm', vendorModule: null},
}

const present = fixtureCaptureNames()

describe('buildLevelModel on the capture fixtures', () => {
  it('finds the pvm-l1 fixture at least', () => {
    expect(present).toContain('pvm-l1')
  })

  it.each(present)('%s validates and shows its key facts', (name) => {
    const model = LevelModel.parse(buildLevelModel(loadFixtureCapture(name)))
    expect(model.schema).toBe('nestreport/level')
    expect(model.cpu.flags.length).toBeGreaterThan(0)
    expect(model.kernel.release.value).toBeTruthy()
    const want = EXPECTED[name]
    if (!want) return
    expect({level: model.level.detected, isGuest: model.virt.isGuest, hypervisor: model.virt.hypervisor}).toEqual({
      level: want.level,
      isGuest: want.isGuest,
      hypervisor: want.hypervisor,
    })
    if (want.vendorModule !== undefined) expect(model.kvm.vendorModule).toBe(want.vendorModule)
    if (want.nested !== undefined) expect(model.kvm.nesting.nested).toBe(want.nested)
    if (want.qemuAccels !== undefined) expect(model.qemu.processes.map((p) => p.accel)).toEqual(want.qemuAccels)
    if (want.oops) {
      const report = model.kernelLog.oopses.find((o) => want.oops!.test(o.title))
      expect(report, model.kernelLog.oopses.map((o) => o.title).join(', ')).toBeDefined()
      expect(report!.text.split('\n')).toHaveLength(report!.endLine - report!.startLine + 1)
      expect(report!.text).toMatch(/WARNING: .*svm_set_nested_state/)
    }
    for (const e of model.virt.evidence) expect(e.source, e.fact).not.toBe('')
  })
})

describe('buildLevelModel on odd input', () => {
  const paths = [
    '/proc/cpuinfo',
    '/proc/cmdline',
    '/proc/version',
    '/proc/sys/kernel/tainted',
    '/etc/os-release',
    '/dev/kvm@stat',
    '/dev/cpu/0/cpuid@leaves',
    '/sys/module/kvm_intel/parameters/nested',
    '/sys/class/dmi/id/sys_vendor',
    '/sys/devices/system/clocksource/clocksource0/available_clocksource',
    '/proc/sysinfo',
    '/proc/1/cgroup',
    '/proc/77/cmdline',
    '/proc/77/fd@links',
    '/proc/77/task/78/comm',
    '/etc/libvirt/qemu/x.xml',
    '/var/log/libvirt/qemu/x.log',
    '/etc/modprobe.d/kvm.conf',
  ]
  const commands = ['dmesg', 'lscpu', 'cpuid', 'systemd-detect-virt-vm', 'virt-what', 'libvirtd-version', 'journal-kernel-previous']

  it('never throws and always yields a valid model, whatever the files hold', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...paths), fc.oneof(fc.string(), fc.uint8Array({maxLength: 200}).map((b) => Buffer.from(b).toString('latin1')))),
        fc.dictionary(fc.constantFrom(...commands), fc.string()),
        fc.option(fc.string({maxLength: 4})),
        (files, cmds, levelOverride) => {
          const model = buildLevelModel(captureOf({files, commands: cmds, manifest: levelOverride === null ? {} : {levelOverride}}))
          expect(LevelModel.safeParse(model).success).toBe(true)
        },
      ),
      {numRuns: 300},
    )
  })

  it('survives a manifest with garbage entries and fields of the wrong type', () => {
    const capture = captureOf({files: {'/proc/cpuinfo': 'flags : fpu hypervisor\n'}})
    ;(capture.manifest.entries as unknown[]).push(null, 42, {kind: 'command'})
    Object.assign(capture.manifest, {levelOverride: 2, label: {x: 1}, timeoutSeconds: 'soon', user: null, producer: 'me', startedAt: 7})
    const model = buildLevelModel(capture)
    expect(LevelModel.safeParse(model).success).toBe(true)
    expect(model.cpu.virtFlags.hypervisor).toBe(true)
    expect(model.notCollected.filter((n) => /could not be parsed/.test(n.why))).toEqual([])
  })

  it('lists failed and missing commands as not collected, but not absent marker files or unneeded fallbacks', () => {
    const model = buildLevelModel(
      captureOf({
        commands: {dmesg: {stdout: '', status: 'permission-denied'}},
        entries: [
          {kind: 'command', id: 'virt-what', group: 'virt', argv: ['virt-what'], status: 'skipped', reason: 'needs root', durationMs: 0},
          {kind: 'command', id: 'x86info', group: 'cpu', argv: ['x86info', '-a'], status: 'missing', durationMs: 0},
          {kind: 'command', id: 'journal-kernel', group: 'kernel-log', status: 'skipped', reason: 'fallback not needed: dmesg succeeded', durationMs: 0},
          {kind: 'file', id: '/.dockerenv', group: 'virt', status: 'missing', durationMs: 0},
        ],
      }),
    )
    const rows = model.notCollected.map((n) => `${n.what} | ${n.group} | ${n.why}`)
    expect(rows).toEqual(
      expect.arrayContaining(['virt-what | virt | needs root', 'x86info -a | cpu | command not installed', expect.stringMatching(/^dmesg \| test \| permission denied/)]),
    )
    expect(rows.join('\n')).not.toMatch(/dockerenv|journal-kernel \|/)
  })
})
