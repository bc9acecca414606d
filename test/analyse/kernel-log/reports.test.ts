/**
 * Crash-report detection, delimiting, titles, guilty frames, taint and hashes on fixtures built
 * from real kernel output formats (x86 modern and old, arm64, syzbot-symbolised traces).
 */
import {describe, expect, it} from 'vitest'

import {analyseKernelLog} from '../../../src/analyse/kernel-log/index.js'
import {decodeTaintField} from '../../../src/analyse/kernel-log/taint.js'
import {fixture, fixtureLines, lineOf, SHAPES, shaped} from './helpers.js'

describe('crash reports', () => {
  it('a nested VMX WARNING: title, lines, context, taint, frames, KVM', () => {
    const lines = fixtureLines('nested-vmx-warning.txt')
    const a = analyseKernelLog(lines.join('\n'), {file: 'l1.log'})
    expect(a.file).toBe('l1.log')
    expect(a.panicked).toBe(false)
    expect(a.oopses).toHaveLength(1)
    const o = a.oopses[0]
    expect(o).toMatchObject({
      title: 'WARNING in nested_vmx_vmexit',
      kind: 'warning',
      header: 'WARNING: CPU: 3 PID: 4242 at arch/x86/kvm/vmx/nested.c:4563 nested_vmx_vmexit+0x7d/0x8d0 [kvm_intel]',
      startLine: lineOf(lines, 'WARNING: CPU'),
      endLine: lineOf(lines, '---[ end trace'),
      panicked: false,
      corrupted: false,
      cpu: 3,
      pid: 4242,
      comm: 'CPU 0/KVM',
      rip: 'nested_vmx_vmexit+0x7d/0x8d0 [kvm_intel]',
      guiltyFrame: 'nested_vmx_vmexit [kvm_intel]',
      kvmRelated: true,
    })
    expect(o.taint).toEqual({raw: '[W]=WARN, [O]=OOT_MODULE', flags: [{letter: 'W', name: 'WARN'}, {letter: 'O', name: 'OOT_MODULE'}]})
    // `?` frames are unreliable and left out; reliable ones innermost first.
    expect(o.frames.slice(0, 4)).toEqual(['vmx_check_nested_events [kvm_intel]', 'kvm_check_nested_events [kvm]', 'kvm_arch_vcpu_ioctl_run [kvm]', 'kvm_vcpu_ioctl [kvm]'])
    expect(o.stackHash).toMatch(/^[0-9a-f]{16}$/)
    // The vmwrite failure before it and the L1TF notice after it are KVM lines, not crashes.
    expect(a.kvmMessages.map((k) => [k.line, k.pattern, k.severity])).toEqual([
      [1, 'vmx-insn-failed', 'warning'],
      [lines.length, 'l1tf', 'info'],
    ])
  })

  it('the November 2025 WARNING layout', () => {
    const lines = fixtureLines('warning-2025-layout.txt')
    const [o] = analyseKernelLog(lines.join('\n')).oopses
    expect(o).toMatchObject({title: 'WARNING in svm_set_nested_state', kind: 'warning', cpu: 1, pid: 2231, comm: 'state_test', startLine: 2, endLine: lines.length, kvmRelated: true})
    expect(o.taint).toEqual({raw: '', flags: []})
  })

  it('a general protection fault that panics, with syzbot-symbolised inline frames', () => {
    const lines = fixtureLines('gpf-panic.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.panicked).toBe(true)
    expect(a.oopses).toHaveLength(1)
    expect(a.oopses[0]).toMatchObject({
      title: 'general protection fault in kvm_mmu_page_fault',
      kind: 'gpf',
      startLine: 1,
      endLine: lines.length,
      panicked: true,
      panicReason: 'Fatal exception',
      comm: 'qemu-system-x86',
      kvmRelated: true,
    })
    expect(a.oopses[0].frames).toContain('vcpu_enter_guest')
  })

  it('hung task, RCU stall and soft lockup, each delimited and titled', () => {
    const lines = fixtureLines('hangs-and-stalls.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.oopses.map((o) => [o.kind, o.title, o.startLine])).toEqual([
      ['hung-task', 'INFO: task hung in kvm_vm_ioctl_set_memory_region', 1],
      ['rcu-stall', 'INFO: rcu detected stall in kvm_mmu_zap_all_fast', lineOf(lines, 'rcu: INFO')],
      ['soft-lockup', 'BUG: soft lockup in smp_call_function_many_cond', lineOf(lines, 'soft lockup')],
    ])
    expect(a.oopses[0].endLine).toBe(lineOf(lines, 'rcu: INFO') - 1)
    expect(a.oopses[0].taint?.flags.map((f) => f.letter)).toEqual(['W'])
    expect(a.oopses[2]).toMatchObject({cpu: 2, pid: 4242, comm: 'CPU 0/KVM', endLine: lines.length})
    expect(a.oopses[2].taint?.flags).toEqual([{letter: 'L', name: 'SOFTLOCKUP'}])
    expect(a.oopses.every((o) => o.kvmRelated)).toBe(true)
  })

  it('KASAN, UBSAN, lockdep and sleeping-in-atomic reports', () => {
    const lines = fixtureLines('sanitizers-lockdep.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.oopses.map((o) => [o.kind, o.title])).toEqual([
      ['kasan', 'KASAN: slab-use-after-free Read in kvm_mmu_unlink_parents'],
      ['ubsan', 'UBSAN: shift-out-of-bounds in kvm_lapic_set_base'],
      ['lockdep', 'possible deadlock in kvm_arch_vcpu_ioctl_run'],
      ['atomic-sleep', 'BUG: sleeping function called from invalid context in kvm_vcpu_reload_apic_access_page'],
    ])
    const [kasan, ubsan, lockdep] = a.oopses
    expect(kasan.endLine).toBe(lineOf(lines, '====', 2) )
    expect(ubsan.startLine).toBe(lineOf(lines, 'UBSAN:'))
    expect(ubsan.endLine).toBe(lineOf(lines, '---[ end trace ]---'))
    expect(lockdep).toMatchObject({pid: 2860, comm: 'qemu-system-x86'})
  })

  it('arm64 oops: `Unable to handle` + `Internal error: Oops:` are one report, pc names the function', () => {
    const lines = fixtureLines('arm64-and-traps.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.oopses).toHaveLength(1)
    expect(a.oopses[0]).toMatchObject({
      title: 'BUG: kernel NULL pointer dereference in kvm_vgic_vcpu_pending_irq',
      kind: 'null-deref',
      startLine: 1,
      endLine: lines.length,
      rip: 'kvm_vgic_vcpu_pending_irq+0x40/0x140',
      cpu: 5,
      comm: 'qemu-system-aar',
    })
    expect(a.oopses[0].frames[1]).toBe('kvm_arch_vcpu_runnable')
  })

  it('benign lines that merely contain the words are not crashes', () => {
    const a = analyseKernelLog(fixture('benign.txt'))
    expect(a.oopses).toEqual([])
    expect(a.panicked).toBe(false)
  })

  it('old x86 kernels: `BUG: unable to handle kernel NULL pointer dereference` + `Oops:` + EIP, without end marker', () => {
    const text = [
      'BUG: unable to handle kernel NULL pointer dereference at 00000008',
      'IP: [<f83f9f24>] radeon_audio_detect+0x54/0x140 [radeon]',
      '*pde = 00000000',
      'Oops: 0000 [#1] SMP',
      'Pid: 222, comm: plymouthd Not tainted 4.0.3-201.fc21.i686+PAE #1',
      'EIP: 0060:[<f83f9f24>] EFLAGS: 00010246 CPU: 0',
      'EIP is at radeon_audio_detect+0x54/0x140 [radeon]',
      'Call Trace:',
      ' [<f83a1d3c>] radeon_dvi_detect+0x28c/0x3c0 [radeon]',
      ' [<c0743a6e>] ? drm_helper_probe_single_connector_modes+0x1ce/0x310',
      ' [<f8370f5a>] drm_fb_helper_probe_connector_modes+0x4a/0x70 [drm_kms_helper]',
      'Code: 8b 45 e4 8b 40 08 85 c0 74 17',
      'usb 1-1: new high-speed USB device number 2 using ehci-pci',
      'NET: Registered PF_INET6 protocol family',
    ].join('\n')
    const [o, ...rest] = analyseKernelLog(text).oopses
    expect(rest).toEqual([])
    expect(o).toMatchObject({title: 'BUG: kernel NULL pointer dereference in radeon_audio_detect', kind: 'null-deref', startLine: 1, endLine: 12, cpu: 0, pid: 222, comm: 'plymouthd'})
    expect(o.frames).toEqual(['radeon_dvi_detect [radeon]', 'drm_fb_helper_probe_connector_modes [drm_kms_helper]'])
  })

  it('kernel BUG at + invalid opcode is one report titled by the BUG_ON site; a second oops is [#2] and suspect', () => {
    const text = [
      '[  100.000001] kernel BUG at arch/x86/kvm/mmu/mmu.c:6420!',
      '[  100.000002] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
      '[  100.000003] CPU: 1 PID: 777 Comm: CPU 1/KVM Not tainted 6.1.0 #1',
      '[  100.000004] RIP: 0010:kvm_mmu_zap_oldest_mmu_pages+0x12d/0x140 [kvm]',
      '[  100.000005] Call Trace:',
      '[  100.000006]  <TASK>',
      '[  100.000007]  kvm_mmu_change_mmu_pages+0x5b/0x80 [kvm]',
      '[  100.000008]  </TASK>',
      '[  100.000009] ---[ end trace 0000000000000000 ]---',
      '[  100.100000] BUG: unable to handle page fault for address: ffffc90000aa0008',
      '[  100.100001] #PF: supervisor read access in kernel mode',
      '[  100.100002] Oops: Oops: 0000 [#2] PREEMPT SMP NOPTI',
      '[  100.100003] CPU: 0 PID: 778 Comm: CPU 0/KVM Tainted: G      D            6.1.0 #1',
      '[  100.100004] RIP: 0010:kvm_mmu_page_fault+0x10/0x90 [kvm]',
      '[  100.100005] ---[ end trace 0000000000000000 ]---',
    ].join('\n')
    const a = analyseKernelLog(text)
    expect(a.oopses.map((o) => [o.title, o.startLine, o.endLine, o.corrupted])).toEqual([
      ['kernel BUG in kvm_mmu_zap_oldest_mmu_pages', 1, 9, false],
      ['BUG: unable to handle page fault in kvm_mmu_page_fault', 10, 15, true],
    ])
    expect(a.oopses[1].corruptedReason).toMatch(/\[#2\]/)
    expect(a.oopses[1].taint?.flags).toEqual([{letter: 'D', name: 'DIE'}])
  })

  it('divide error, stack segment, double fault, NMI and MCE reports', () => {
    const text = [
      'Oops: divide error: 0000 [#1] PREEMPT SMP KASAN NOPTI',
      'RIP: 0010:kvm_pit_set_reinject+0x4e/0x120 [kvm]',
      '---[ end trace 0000000000000000 ]---',
      'Oops: stack segment: 0000 [#1] PREEMPT SMP KASAN PTI',
      'RIP: 0010:__kvm_apic_update_irr+0x3b/0x2d0 [kvm]',
      '---[ end trace 0000000000000000 ]---',
      'PANIC: double fault, error_code: 0x0',
      'RIP: 0010:__switch_to_asm+0x30/0x60',
      'Uhhuh. NMI received for unknown reason 3d on CPU 0.',
      'Dazed and confused, but trying to continue',
      'mce: [Hardware Error]: CPU 0: Machine Check Exception: 5 Bank 4: b200000000070f0f',
      'mce: [Hardware Error]: RIP !INEXACT! 10:<ffffffff8100c1a7> {intel_idle+0x97/0x130}',
      'Kernel panic - not syncing: Fatal machine check',
    ].join('\n')
    const a = analyseKernelLog(text)
    expect(a.oopses.map((o) => [o.kind, o.title])).toEqual([
      ['divide-error', 'divide error in kvm_pit_set_reinject'],
      ['stack-segment', 'stack segment fault in __kvm_apic_update_irr'],
      ['double-fault', 'double fault in __switch_to_asm'],
      ['nmi', 'NMI: NMI received for unknown reason'],
      ['mce', 'MCE: Machine Check Exception'],
    ])
    expect(a.oopses[4]).toMatchObject({panicked: true, panicReason: 'Fatal machine check', endLine: 13})
    expect(a.panicked).toBe(true)
  })

  it('hard lockup with its panic, RCU stall on an idle CPU, KFENCE and KCSAN', () => {
    const lines = fixtureLines('lockups-kfence-kcsan.txt')
    const a = analyseKernelLog(lines.join('\n'))
    expect(a.oopses.map((o) => [o.kind, o.title, o.startLine, o.endLine, o.panicked, o.corrupted])).toEqual([
      ['hard-lockup', 'watchdog: hard LOCKUP in svm_vcpu_blocking', 1, lineOf(lines, 'end Kernel panic'), true, false],
      ['rcu-stall', 'INFO: rcu detected stall', lineOf(lines, 'rcu: INFO'), lineOf(lines, '</TASK>', lineOf(lines, 'rcu: INFO')), false, false],
      ['kfence', 'KFENCE: use-after-free read in kvm_io_bus_read', lineOf(lines, 'KFENCE'), lineOf(lines, 'KCSAN') - 2, false, false],
      ['kcsan', 'KCSAN: data-race in kvm_vcpu_kick / vcpu_enter_guest', lineOf(lines, 'KCSAN'), lines.length, false, false],
    ])
    expect(a.oopses[0].panicReason).toBe('Hard LOCKUP')
  })

  it('a standalone panic is its own report', () => {
    const text = 'VFS: Cannot open root device "vda1" or unknown-block(0,0): error -6\nKernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\nCPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.8.0 #1\n---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---\n'
    const a = analyseKernelLog(text)
    expect(a.oopses).toMatchObject([{kind: 'panic', title: 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(N,N)', startLine: 2, endLine: 4, panicked: true}])
  })

  it('reports printed at once by two CPUs are demultiplexed by caller id', () => {
    const a = fixtureLines('nested-vmx-warning.txt').slice(1)
    const b = fixtureLines('warning-2025-layout.txt')
    const out: string[] = []
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) out.push(`[  812.${String(i).padStart(6, '0')}][  T4242] ${a[i]}`)
      if (i < b.length) out.push(`[  812.${String(i).padStart(6, '0')}][  T2231] ${b[i]}`)
    }
    const r = analyseKernelLog(out.join('\n'))
    expect(r.oopses.map((o) => [o.title, o.caller])).toEqual([
      ['WARNING in nested_vmx_vmexit', 'T4242'],
      ['WARNING in svm_set_nested_state', 'T2231'],
    ])
    expect(r.oopses[0].frames).not.toContain('kvm_arch_vcpu_ioctl [kvm]')
    expect(r.oopses[1].frames).toContain('kvm_arch_vcpu_ioctl [kvm]')
  })
})

describe('stack hash', () => {
  const lines = fixtureLines('nested-vmx-warning.txt')
  const base = analyseKernelLog(lines.join('\n')).oopses[0].stackHash

  it('is the same across timestamp shapes', () => {
    for (const shape of Object.values(SHAPES)) expect(analyseKernelLog(shaped(lines, shape)).oopses[0].stackHash).toBe(base)
  })

  it('is the same on another machine and level: other PIDs, CPUs, offsets, addresses, taint, build', () => {
    const other = lines.map((l) =>
      l
        .replace('CPU: 3 PID: 4242', 'CPU: 0 PID: 917')
        .replace('CPU: 3 UID: 0 PID: 4242 Comm: CPU 0/KVM Tainted: G        W  O       6.12.8-azure #1', 'CPU: 0 UID: 0 PID: 917 Comm: CPU 3/KVM Not tainted 6.12.9 #2')
        .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/g, '+0x11/0x222')
        .replace(/ffff[0-9a-f]{12}/g, 'ffff888812345678'),
    )
    const o = analyseKernelLog(other.join('\n')).oopses[0]
    expect(o.pid).toBe(917)
    expect(o.stackHash).toBe(base)
  })

  it('is the same for the old `[<address>] f+0x..` trace form of the same stack', () => {
    const old = lines.map((l) => (/^ (\? )?\w+\+0x/.test(l) ? l.replace(/^ /, ' [<ffffffffa0a1b2c3>] ') : l))
    expect(analyseKernelLog(old.join('\n')).oopses[0].stackHash).toBe(base)
  })

  it('differs for a different bug', () => {
    const other = lines.map((l) => l.replace(/vmx_check_nested_events/g, 'nested_vmx_run'))
    expect(analyseKernelLog(other.join('\n')).oopses[0].stackHash).not.toBe(base)
  })
})

describe('taint decoding', () => {
  it('decodes the letters of the classic field, G is not a taint', () => {
    expect(decodeTaintField('P    B D W  O').flags.map((f) => f.name)).toEqual(['PROPRIETARY_MODULE', 'BAD_PAGE', 'DIE', 'WARN', 'OOT_MODULE'])
    expect(decodeTaintField('G').flags).toEqual([])
    expect(decodeTaintField('Q').flags).toEqual([{letter: 'Q', name: 'UNKNOWN'}])
  })

  it('reads taint from RHEL lines with a dashed suffix and Kdump notes', () => {
    const text = 'WARNING: at drivers/x.c:1 foo+0x1/0x2()\nCPU: 0 PID: 32037 Comm: insmod Kdump: loaded Tainted: GF          O--------------   3.10.0-54.0.1.el7.s390x #1\n'
    const [o] = analyseKernelLog(text).oopses
    expect(o.comm).toBe('insmod')
    expect(o.taint?.flags.map((f) => f.letter)).toEqual(['F', 'O'])
  })
})
