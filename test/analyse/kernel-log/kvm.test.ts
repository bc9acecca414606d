/** KVM and nested-virtualization lines: classified, with severities, never counted as crashes. */
import {describe, expect, it} from 'vitest'

import {analyseKernelLog} from '../../../src/analyse/kernel-log/index.js'
import {fixture, fixtureLines} from './helpers.js'

describe('KVM and nested-virtualization messages', () => {
  it('classifies every pattern of the kernel side', () => {
    const lines = fixtureLines('kvm-messages.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.oopses).toEqual([]) // unchecked MSR access prints a Call Trace but is not an oops
    const byLine = new Map(a.kvmMessages.map((k) => [k.line, `${k.severity} ${k.pattern}`]))
    const expectAt = (needle: string, want: string) => {
      const line = lines.findIndex((l) => l.includes(needle)) + 1
      expect(byLine.get(line), needle).toBe(want)
    }
    expectAt('Hypervisor detected: KVM', 'info hypervisor-detected')
    expectAt('kvm-clock: Using msrs', 'info kvm-clock')
    expectAt('VMX not supported by CPU', 'config vmx-unsupported')
    expectAt('VMX not enabled (by BIOS)', 'config vmx-disabled-bios')
    expectAt('kvm: disabled by bios', 'config vmx-disabled-bios')
    expectAt('VMX (outside TXT) disabled by BIOS', 'config vmx-disabled-bios')
    expectAt('SVM not supported by CPU', 'config svm-unsupported')
    expectAt('Nested Virtualization enabled', 'info nested-enabled')
    expectAt('Nested Paging enabled', 'info npt')
    expectAt('already loaded vendor module', 'info vendor-already-loaded')
    expectAt('vmptrld failed', 'warning vmx-insn-failed')
    expectAt('invept failed', 'warning vmx-insn-failed')
    expectAt('vmclear failed', 'warning vmx-insn-failed')
    expectAt('RDMSR from 0xc0011029', 'warning unchecked-msr')
    expectAt('WRMSR to 0x48', 'warning unchecked-msr')
    expectAt('ignored rdmsr', 'info ignored-msr')
    expectAt('ignored wrmsr', 'info ignored-msr')
    expectAt('unhandled rdmsr', 'warning unhandled-msr')
    expectAt('disabled perfctr wrmsr', 'info perfctr-msr')
    expectAt('L1TF CPU bug present', 'info l1tf')
    expectAt('lapic timer period limited', 'info lapic-timer-limited')
    expectAt("Marking clocksource 'tsc' as unstable", 'warning tsc-unstable')
    expectAt('Switched to clocksource kvm-clock', 'info clocksource-switch')
    // The unchecked-MSR call trace lines are not KVM messages of their own.
    expect(a.kvmMessages).toHaveLength(lines.filter((l) => !/^(?:Call Trace:| )/.test(l)).length)
  })

  it('finds QEMU-side errors in a libvirt domain log, and no crash in its register dump', () => {
    const lines = fixtureLines('libvirt-qemu.log')
    const a = analyseKernelLog(fixture('libvirt-qemu.log'))
    expect(a.oopses).toEqual([])
    expect(a.kvmMessages.map((k) => [k.line, k.pattern, k.severity])).toEqual([
      [lines.findIndex((l) => l.includes('failed to set MSR')) + 1, 'qemu-set-msr-failed', 'error'],
      [lines.findIndex((l) => l.includes('kvm_buf_set_msrs')) + 1, 'qemu-set-msr-failed', 'error'],
      [lines.findIndex((l) => l.includes('KVM: entry failed')) + 1, 'qemu-entry-failed', 'fatal'],
      [lines.findIndex((l) => l.includes('KVM internal error')) + 1, 'qemu-internal-error', 'fatal'],
    ])
  })

  it('QEMU errors in a journal from the qemu process count; kernel-only patterns from other programs do not', () => {
    const text = [
      'Nov 25 14:56:28 l1-host qemu-system-x86_64[4411]: KVM: entry failed, hardware error 0x80000021',
      'Nov 25 14:56:28 l1-host someapp[12]: Hypervisor detected: KVM',
    ].join('\n')
    const a = analyseKernelLog(text)
    expect(a.kvmMessages.map((k) => k.pattern)).toEqual(['qemu-entry-failed'])
  })

  it('a KVM WARNING is a crash report flagged kvmRelated, and its vmwrite line a KVM message', () => {
    const a = analyseKernelLog(fixture('nested-vmx-warning.txt'))
    expect(a.oopses.map((o) => o.kvmRelated)).toEqual([true])
    expect(a.kvmMessages[0].pattern).toBe('vmx-insn-failed')
  })

  it('a non-KVM crash is not kvmRelated', () => {
    const a = analyseKernelLog('WARNING: CPU: 0 PID: 1 at fs/ext4/inode.c:3929 ext4_set_page_dirty+0x44/0x60\nComm: x\nCall Trace:\n mark_buffer_dirty+0x1/0x2\n')
    expect(a.oopses[0].kvmRelated).toBe(false)
  })
})
