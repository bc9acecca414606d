import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {hypervisorSignatures, parseCpu, parseCpuidToolDump} from '../../src/parse/cpu.js'
import {captureOf, loadFixtureCapture} from '../helpers/load-capture.js'

const data = (name: string) => readFileSync(new URL(`data/${name}`, import.meta.url), 'utf8')

describe('parseCpu', () => {
  it('reads an Intel L0 cpuinfo: first CPU, vmx without hypervisor, lscpu virtualization', () => {
    const view = new CaptureView(captureOf({files: {'/proc/cpuinfo': data('intel-xeon.cpuinfo')}, commands: {lscpu: data('intel-xeon.lscpu')}}))
    const cpu = parseCpu(view)
    expect(cpu.modelName).toEqual({value: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz', source: '/proc/cpuinfo'})
    expect(cpu.vendor.value).toBe('GenuineIntel')
    expect([cpu.family.value, cpu.model.value, cpu.stepping.value]).toEqual([6, 85, 7])
    expect(cpu.microcode.value).toBe('0x5003604')
    expect(cpu.logicalCpus).toEqual({value: 2, source: '/proc/cpuinfo'})
    expect(cpu.virtFlags).toEqual({vmx: true, svm: false, hypervisor: false})
    expect(cpu.flags).toContain('ept')
    expect(cpu.lscpu).toEqual({hypervisorVendor: null, virtualizationType: null, virtualization: 'VT-x'})
    expect(cpu.arch).toEqual({value: 'x86_64', source: 'command:lscpu'})
  })

  it('reads the AMD PVM L1 cpuinfo of this project machine: hypervisor, no svm/vmx, raw CPUID signature', () => {
    const cpu = parseCpu(new CaptureView(loadFixtureCapture('pvm-l1')))
    expect(cpu.vendor.value).toBe('AuthenticAMD')
    expect(cpu.family.value).toBe(25)
    expect(cpu.virtFlags).toEqual({vmx: false, svm: false, hypervisor: true})
    expect(cpu.cpuid).toMatchObject({source: '/dev/cpu/0/cpuid@leaves', hypervisorSignature: 'KVMKVMKVM', vmx: false, svm: false, hypervisorBit: true})
    expect(cpu.lscpu?.hypervisorVendor).toBe('KVM')
    expect(cpu.vulnerabilities.spectre_v2).toMatch(/^Mitigation/)
  })

  it('falls back to lscpu when cpuinfo was not captured, and reports unknowns as null', () => {
    const cpu = parseCpu(new CaptureView(captureOf({commands: {lscpu: data('intel-xeon.lscpu')}})))
    expect(cpu.modelName.source).toBe('command:lscpu')
    expect(cpu.logicalCpus.value).toBe(80)
    expect(cpu.microcode).toEqual({value: null, source: ''})
    const empty = parseCpu(new CaptureView(captureOf({})))
    expect(empty.modelName.value).toBeNull()
    expect(empty.flags).toEqual([])
    expect(empty.cpuid).toBeNull()
  })

  it('parses the cpuid tool dump (first CPU only) and uses it when the driver was unreadable', () => {
    const dump = [
      'CPU 0:',
      '   0x00000001 0x00: eax=0x00a10f11 ebx=0x00020800 ecx=0xfffa3203 edx=0x178bfbff',
      '   0x40000000 0x00: eax=0x40000001 ebx=0x54474354 ecx=0x43544743 edx=0x47435447',
      '   0x80000001 0x00: eax=0x00a10f11 ebx=0x40000000 ecx=0x004003f7 edx=0x2fd3fbff',
      'CPU 1:',
      '   0x40000000 0x00: eax=0x40000001 ebx=0x4b4d564b ecx=0x564b4d56 edx=0x0000004d',
    ].join('\n')
    expect(parseCpuidToolDump(dump)).toHaveLength(3)
    const cpu = parseCpu(new CaptureView(captureOf({commands: {cpuid: dump}})))
    expect(cpu.cpuid).toMatchObject({source: 'command:cpuid', hypervisorSignature: 'TCGTCGTCGTCG', svm: true, hypervisorBit: true})
  })

  it('does not trust an unknown hypervisor-leaf signature without the hypervisor bit (Intel echoes the top basic leaf)', () => {
    const leaves = [
      {leaf: 1, subleaf: 0, eax: 0x50657, ebx: 0, ecx: 0x7ffefbff, edx: 0},
      {leaf: 0x4000_0000, subleaf: 0, eax: 0xf, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69},
    ]
    expect(hypervisorSignatures(leaves)).toEqual([])
  })
})
