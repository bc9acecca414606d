import {describe, expect, it} from 'vitest'

import {levelVerdict} from '../../src/render/verdict.js'
import {intelL0Model, pvmL1Model} from '../helpers/level-model.js'

describe('levelVerdict', () => {
  it('names the module, VMX/SVM and nesting of a host', () => {
    expect(levelVerdict(intelL0Model())).toMatch(/^L0: bare-metal host \(.*\) that provides \/dev\/kvm through kvm_intel on VMX, nested=on; runs 1 QEMU guest: l1 on KVM; 1 kernel oops\/warning report \(1 KVM-related\)$/)
  })

  it('shouts when nesting is off and /dev/kvm is closed to the user', () => {
    const model = intelL0Model()
    model.kvm.nesting.nested = false
    model.kvm.devKvm.accessible = false
    expect(levelVerdict(model)).toContain('on VMX, nested=OFF (/dev/kvm not accessible to uid 1000)')
  })

  it('gives the load failure when an L1 has no /dev/kvm', () => {
    const model = pvmL1Model()
    model.kvm.devKvm.present = false
    model.kvm.loadFailures = [{text: 'kvm_amd: SVM not supported by CPU 0', source: 'command:dmesg line 300'}]
    expect(levelVerdict(model)).toContain('KVM guest (')
    expect(levelVerdict(model)).toContain(' without /dev/kvm (no vmx/svm flag); kvm_amd: SVM not supported by CPU 0')
  })

  it('does not speak of VMX/SVM on other architectures', () => {
    const model = pvmL1Model()
    model.cpu.arch.value = 'aarch64'
    expect(levelVerdict(model)).toContain('through kvm_pvm; runs')
  })

  it('says when a guest runs on another accelerator than it asked for', () => {
    const model = pvmL1Model()
    model.qemu.processes[0].requestedAccel = 'kvm'
    expect(levelVerdict(model)).toContain('runs 1 QEMU guest: l2tcg on TCG (asked for kvm)')
  })

  it('counts many guests by accelerator', () => {
    const model = intelL0Model()
    const one = model.qemu.processes[0]
    model.qemu.processes = [one, {...one, pid: 2}, {...one, pid: 3, accel: 'tcg'}]
    expect(levelVerdict(model)).toContain('runs 3 QEMU guests: 2 on KVM, 1 on TCG')
  })

  it('says when the kernel panicked', () => {
    const model = pvmL1Model()
    model.kernelLog.panicked = true
    expect(levelVerdict(model)).toMatch(/; the kernel panicked$/)
  })
})
