/**
 * Every log shape users paste gives the same analysis as the bare kernel text: same reports, same
 * line numbers, same titles and hashes, same KVM lines.
 */
import {describe, expect, it} from 'vitest'

import {analyseKernelLog} from '../../../src/analyse/kernel-log/index.js'
import type {KernelLogAnalysis} from '../../../src/analyse/kernel-log/index.js'
import {fixtureLines, SHAPES, shaped} from './helpers.js'

const FIXTURES = ['nested-vmx-warning.txt', 'warning-2025-layout.txt', 'gpf-panic.txt', 'hangs-and-stalls.txt', 'sanitizers-lockdep.txt', 'arm64-and-traps.txt', 'kvm-messages.txt', 'benign.txt']

function summary(a: KernelLogAnalysis) {
  return {
    panicked: a.panicked,
    oopses: a.oopses.map((o) => ({
      title: o.title,
      kind: o.kind,
      startLine: o.startLine,
      endLine: o.endLine,
      stackHash: o.stackHash,
      cpu: o.cpu,
      pid: o.pid,
      comm: o.comm,
      rip: o.rip,
      panicked: o.panicked,
      taint: o.taint,
      frames: o.frames,
    })),
    kvm: a.kvmMessages.map((k) => `${k.line} ${k.pattern} ${k.text}`),
  }
}

describe('log shapes', () => {
  for (const name of FIXTURES) {
    const lines = fixtureLines(name)
    const baseline = summary(analyseKernelLog(lines.join('\n')))
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      it(`${name} as ${shapeName}`, () => {
        const got = summary(analyseKernelLog(shaped(lines, shape)))
        expect(got).toEqual(baseline)
      })
    }
  }

  it('baselines are not empty', () => {
    expect(summary(analyseKernelLog(fixtureLines('nested-vmx-warning.txt').join('\n'))).oopses).toHaveLength(1)
    expect(summary(analyseKernelLog(fixtureLines('kvm-messages.txt').join('\n'))).kvm.length).toBeGreaterThan(20)
  })

  it('/dev/kmsg dictionary continuation lines are skipped, caller ids read from the record', () => {
    const lines = fixtureLines('nested-vmx-warning.txt')
    const text = lines
      .map((t, i) => `4,${900 + i},${8123000000 + i},-,caller=${i === 0 ? 'T17' : 'T4242'};${t}` + (i === 0 ? '\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:01.0' : ''))
      .join('\n')
    const a = analyseKernelLog(text)
    expect(a.oopses).toHaveLength(1)
    expect(a.oopses[0].title).toBe('WARNING in nested_vmx_vmexit')
    expect(a.oopses[0].caller).toBe('T4242')
    expect(a.oopses[0].startLine).toBe(5) // two continuation lines after record 1, cut-here on 4
  })

  it('journalctl boot separators end an open report', () => {
    const text = ['[    5.000000] INFO: task kworker/0:1:12 blocked for more than 120 seconds.', '[    5.000001] Call Trace:', '[    5.000002]  mutex_lock+0x3c/0x50', '[    5.000003]  foo_probe+0x10/0x20', '-- Boot 0123456789abcdef0123456789abcdef --', '[    6.000000] Call Trace:', '[    6.000001]  bar+0x1/0x2'].join('\n')
    const a = analyseKernelLog(text)
    expect(a.oopses).toHaveLength(1)
    expect(a.oopses[0].endLine).toBe(4)
    expect(a.oopses[0].title).toBe('INFO: task hung in foo_probe')
  })

  it('a report glued to a login prompt on a serial console is found', () => {
    const text = ['l1-guest login: [   16.312345] INFO: task qemu-system-x86:9120 blocked for more than 122 seconds.', '[   16.312350] Call Trace:', '[   16.312351]  <TASK>', '[   16.312352]  __schedule+0x27c/0x6b0', '[   16.312353]  kvm_vm_ioctl_set_memory_region+0x2a/0x70 [kvm]', '[   16.312354]  </TASK>'].join('\r\n')
    const a = analyseKernelLog(text)
    expect(a.oopses.map((o) => o.title)).toEqual(['INFO: task hung in kvm_vm_ioctl_set_memory_region'])
    expect(a.oopses[0].kvmRelated).toBe(true)
  })

  it('journal JSON entries from other programs are not kernel text', () => {
    const text = [
      JSON.stringify({_TRANSPORT: 'syslog', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: 'WARNING: CPU: 1 PID: 2 at fake.c:1 fake+0x1/0x2'}),
      JSON.stringify({_TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'kernel', MESSAGE: [72, 121, 112, 101, 114, 118, 105, 115, 111, 114, 32, 100, 101, 116, 101, 99, 116, 101, 100, 58, 32, 75, 86, 77]}),
    ].join('\n')
    const a = analyseKernelLog(text)
    expect(a.oopses).toHaveLength(0)
    expect(a.kvmMessages).toMatchObject([{line: 2, pattern: 'hypervisor-detected', text: 'Hypervisor detected: KVM'}])
  })
})
