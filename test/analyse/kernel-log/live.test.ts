/**
 * The live kernel log of the machine running the tests: no crash report on a healthy machine, and
 * every KVM identification line it holds is classified. Nothing about this machine is hard-coded:
 * expectations come from the raw text. Skipped where dmesg cannot be read.
 */
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {analyseKernelLog} from '../../../src/analyse/kernel-log/index.js'

const dmesg = spawnSync('dmesg', [], {encoding: 'utf8'})
const readable = dmesg.status === 0 && dmesg.stdout.trim().length > 0
if (!readable) console.warn('live kernel-log test skipped: dmesg is not readable here')

describe.skipIf(!readable)('live kernel log (dmesg)', () => {
  const text = readable ? dmesg.stdout : ''
  const a = analyseKernelLog(text, {file: 'dmesg'})

  it('reads every line', () => {
    expect(a.lines).toBe(text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length)
  })

  it('finds no crash unless the raw log holds a crash header', () => {
    const crashy = /\] (?:BUG: |kernel BUG at|Oops: |WARNING: CPU: |general protection fault|Kernel panic - not syncing|INFO: task .* blocked|watchdog: BUG: soft lockup)/
    if (crashy.test(text)) return // a genuinely crashed machine: nothing to assert about zero
    expect(a.oopses).toEqual([])
    expect(a.panicked).toBe(false)
  })

  it('classifies the hypervisor identification lines the log holds', () => {
    const patterns = new Set(a.kvmMessages.map((k) => k.pattern))
    if (/\] Hypervisor detected: /.test(text)) expect(patterns.has('hypervisor-detected')).toBe(true)
    if (/\] kvm-clock: Using msrs /.test(text)) expect(patterns.has('kvm-clock')).toBe(true)
    if (/\] clocksource: Switched to clocksource kvm-clock/.test(text)) expect(patterns.has('clocksource-switch')).toBe(true)
    // A "[Firmware Bug]" line or the SRSO "WARNING: See ..." advice is never a crash.
    for (const o of a.oopses) expect(o.header).not.toMatch(/Firmware Bug|Speculative Return Stack Overflow/)
  })
})
