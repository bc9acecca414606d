import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {loadFailures, nestingSwitches, parseKvm, parseSwitch, vendorModuleOf} from '../../src/parse/kvm.js'
import {captureOf, loadFixtureCapture} from '../helpers/load-capture.js'

const params = (module: string, values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`/sys/module/${module}/parameters/${k}`, `${v}\n`]))

describe('parseKvm', () => {
  it('lists every kvm and kvm_pvm parameter of the pvm-l1 capture with its live value, built in (no /proc/modules)', () => {
    const capture = loadFixtureCapture('pvm-l1')
    const kvm = parseKvm(new CaptureView(capture), {cpuVirtFlags: {vmx: false, svm: false}, cmdline: 'quiet nested_pvm=1'})
    expect(kvm.vendorModule).toBe('kvm_pvm')
    expect(kvm.devKvm).toMatchObject({present: true, rdev: '10:232', source: '/dev/kvm@stat'})
    for (const module of kvm.modules) {
      expect(module.loadedAs).toBe('builtin')
      const dir = `/sys/module/${module.name}/parameters/`
      const onDisk = [...capture.files.keys()].filter((p) => p.startsWith(dir))
      expect(Object.keys(module.parameters).sort()).toEqual(onDisk.map((p) => p.slice(dir.length)).sort())
      for (const p of onDisk) expect(module.parameters[p.slice(dir.length)]).toBe(capture.files.get(p)!.toString().trim())
    }
    expect(kvm.modules.map((m) => m.name)).toEqual(['kvm', 'kvm_pvm'])
    expect(kvm.nesting.nested_pvm).toBe(true)
    expect(kvm.nesting.nested).toBeNull()
  })

  it('normalises kvm_intel Y/N bools and kvm_amd 1/0 ints', () => {
    const intel = captureOf({
      files: {...params('kvm_intel', {nested: 'Y', ept: 'Y', enable_shadow_vmcs: 'N', enable_apicv: 'Y', unrestricted_guest: 'Y', vpid: 'Y', vmentry_l1d_flush: 'cond'}), ...params('kvm', {ignore_msrs: 'N'})},
      entries: [{kind: 'file', id: '/proc/modules', group: 'kvm', status: 'ok', durationMs: 0}],
    })
    intel.files.set('/proc/modules', Buffer.from('kvm_intel 413696 0 - Live 0x0000000000000000\nkvm 1396736 1 kvm_intel, Live 0x0000000000000000\nirqbypass 12288 1 kvm, Live 0x0000000000000000\n'))
    const k = parseKvm(new CaptureView(intel), {cpuVirtFlags: {vmx: true, svm: false}})
    expect(k.vendorModule).toBe('kvm_intel')
    expect(k.modules.every((m) => m.loadedAs === 'module')).toBe(true)
    expect(k.nesting).toMatchObject({nested: true, ept: true, enable_shadow_vmcs: false, enable_apicv: true, unrestricted_guest: true, vpid: true, npt: null})
    expect(k.modules.find((m) => m.name === 'kvm_intel')?.parameters.vmentry_l1d_flush).toBe('cond')

    const amd = captureOf({files: params('kvm_amd', {nested: '1', npt: '1', avic: '0', vls: '1', vgif: '1', nrips: '1', sev: 'N'})})
    const a = parseKvm(new CaptureView(amd), {cpuVirtFlags: {vmx: false, svm: true}})
    expect(a.vendorModule).toBe('kvm_amd')
    expect(a.nesting).toMatchObject({nested: true, npt: true, avic: false, vls: true, vgif: true, nrips: true, ept: null})
    expect(a.modules[0].loadedAs).toBe('unknown')
  })

  it('picks the vendor module that matches the CPU, kvm_pvm without vmx/svm, kvm_hv on POWER', () => {
    expect(vendorModuleOf(['kvm', 'kvm_intel', 'kvm_pvm'], {vmx: true, svm: false})).toBe('kvm_intel')
    expect(vendorModuleOf(['kvm', 'kvm_intel', 'kvm_pvm'], {vmx: false, svm: false})).toBe('kvm_pvm')
    expect(vendorModuleOf(['kvm', 'kvm_hv'])).toBe('kvm_hv')
    expect(vendorModuleOf(['kvm', 'kvmgt'])).toBeNull()
    expect(vendorModuleOf(['kvm', 'kvm_foo'])).toBe('kvm_foo')
  })

  it('keeps s390 nested from the core module and parses switch spellings', () => {
    const k = nestingSwitches([{name: 'kvm', loadedAs: 'builtin', version: null, srcversion: null, parameters: {nested: '0', hpage: '0'}, source: ''}], null, null)
    expect(k.nested).toBe(false)
    expect([parseSwitch('Y'), parseSwitch('1'), parseSwitch('N'), parseSwitch('0'), parseSwitch('cond'), parseSwitch(undefined)]).toEqual([true, true, false, false, null, null])
  })

  it('reports /dev/kvm absent when the capture saw it missing, unknown when never looked at', () => {
    const missing = captureOf({entries: [{kind: 'stat', id: '/dev/kvm', group: 'kvm', status: 'missing', durationMs: 0}]})
    expect(parseKvm(new CaptureView(missing)).devKvm).toMatchObject({present: false, accessible: false})
    expect(parseKvm(new CaptureView(captureOf({}))).devKvm.present).toBeNull()
  })

  it('reads modprobe.d options for kvm modules, with kvm-intel spelled either way', () => {
    const k = parseKvm(
      new CaptureView(
        captureOf({
          files: {
            '/etc/modprobe.d/kvm.conf': '# nested for L1\noptions kvm-intel nested=1 enable_shadow_vmcs=1\noptions snd-hda-intel power_save=0\n',
            '/usr/lib/modprobe.d/kvm-amd.conf': 'options kvm_amd nested=0\n',
          },
        }),
      ),
    )
    expect(k.modprobeOptions).toEqual([
      {file: '/etc/modprobe.d/kvm.conf', line: 2, module: 'kvm_intel', options: 'nested=1 enable_shadow_vmcs=1'},
      {file: '/usr/lib/modprobe.d/kvm-amd.conf', line: 1, module: 'kvm_amd', options: 'nested=0'},
    ])
  })

  it('finds vendor load failures of every kernel generation in the kernel log', () => {
    const log = [
      '[    1.234567] kvm_intel: VMX not supported by CPU 0',
      '[    1.234568] kvm: no hardware support',
      '[    1.234569] kvm_amd: SVM not supported by CPU 1, not amd or hygon',
      '[    1.234570] x86/cpu: VMX (outside TXT) disabled by BIOS',
      '[    1.234571] kvm: disabled by bios',
      '[    1.234572] kvm_intel: something fine',
    ].join('\n')
    const failures = loadFailures({source: 'command:dmesg', text: log})
    expect(failures.map((f) => f.source)).toEqual([1, 2, 3, 4, 5].map((n) => `command:dmesg line ${n}`))
    expect(failures[0].text).toBe('kvm_intel: VMX not supported by CPU 0')
    const journal = loadFailures({source: 'command:journal-kernel', text: '[   12.345678] l1 kernel: kvm_amd: SVM not supported by CPU 0, not amd or hygon\n'})
    expect(journal).toEqual([{text: 'kvm_amd: SVM not supported by CPU 0, not amd or hygon', source: 'command:journal-kernel line 1'}])
  })
})
