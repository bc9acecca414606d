import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {libvirtVersion, parseDomainXml, parseLibvirt, parseLibvirtLog, shellWords} from '../../src/parse/libvirt.js'
import {captureOf} from '../helpers/load-capture.js'

const data = (name: string) => readFileSync(new URL(`data/${name}`, import.meta.url), 'utf8')

describe('parseDomainXml', () => {
  it('reads type qemu (TCG), custom CPU model and features from a persistent definition', () => {
    expect(parseDomainXml(data('dom-l2tcg.xml'))).toEqual({
      name: 'nestlab-l2tcg',
      type: 'qemu',
      cpuMode: 'custom',
      cpuModel: 'qemu64',
      cpuFeatures: [
        {policy: 'require', name: 'svm'},
        {policy: 'disable', name: 'hypervisor'},
      ],
      state: null,
    })
  })

  it('reads a status XML: domstatus state, inner domain type kvm, host-passthrough', () => {
    expect(parseDomainXml(data('domstatus-l2kvm.xml'))).toMatchObject({name: 'nestlab-l2kvm', type: 'kvm', cpuMode: 'host-passthrough', cpuModel: null, state: 'running'})
  })

  it('defaults the CPU mode to custom, decodes entities, and tolerates garbage', () => {
    expect(parseDomainXml(`<domain type="kvm"><name>a&amp;b</name><cpu match="exact"><model>Haswell</model></cpu></domain>`)).toMatchObject({
      name: 'a&b',
      cpuMode: 'custom',
      cpuModel: 'Haswell',
    })
    expect(parseDomainXml('\u0000\u0001 not xml <domain')).toEqual({name: null, type: null, cpuMode: null, cpuModel: null, cpuFeatures: [], state: null})
  })
})

describe('parseLibvirtLog', () => {
  it('takes the last start header, the command line after the env lines, and the QEMU errors', () => {
    const log = parseLibvirtLog(data('libvirt-l2kvm.log'))
    expect(log.lastStart).toBe('2026-11-20 14:02:11.123+0000')
    expect(log.libvirtVersion).toBe('9.0.0')
    expect(log.qemuVersion).toBe('7.2.22Debian 1:7.2+dfsg-7+deb12u18+b3')
    expect(log.lastCommandLine?.slice(0, 3)).toEqual(['/usr/bin/qemu-system-x86_64', '-name', 'guest=nestlab-l2kvm,debug-threads=on'])
    expect(log.lastCommandLine).toContain('{"qom-type":"memory-backend-ram","id":"pc.ram","size":536870912}')
    expect(log.lastCommandLine).toContain('console=ttyS0 panic=-1 quiet')
    expect(log.lastCommandLine?.at(-1)).toBe('timestamp=on')
    expect(log.errors.map((e) => e.text)).toEqual([
      '2026-11-20T14:02:11.456789Z qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69',
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3163: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
      '2026-11-20 14:02:12.001+0000: shutting down, reason=crashed',
    ])
    expect(log.errors[0].line).toBe(36)
  })

  it('uses the last of several starts and finds KVM entry failures', () => {
    const text = [
      '2026-11-19 10:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0, kernel: 6.1.0, hostname: l1',
      'LC_ALL=C \\',
      '/usr/bin/qemu-system-x86_64 \\',
      '-accel tcg',
      '2026-11-19 10:05:00.000+0000: shutting down, reason=shutdown',
      '2026-11-20 10:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0, kernel: 6.1.0, hostname: l1',
      'LC_ALL=C \\',
      '/usr/bin/qemu-system-x86_64 \\',
      '-accel kvm',
      'KVM: entry failed, hardware error 0x80000021',
      'KVM internal error. Suberror: 1',
    ].join('\n')
    const log = parseLibvirtLog(text)
    expect(log.lastStart).toBe('2026-11-20 10:00:00.000+0000')
    expect(log.lastCommandLine).toEqual(['/usr/bin/qemu-system-x86_64', '-accel', 'kvm'])
    expect(log.errors.map((e) => e.line)).toEqual([10, 11])
  })

  it('splits shell-quoted words', () => {
    expect(shellWords(`-append 'a b'\\''c' -x "d \\"e\\"" f\\ g`)).toEqual(['-append', "a b'c", '-x', 'd "e"', 'f g'])
  })
})

describe('parseLibvirt', () => {
  it('joins definitions, status XML and logs per domain, with versions', () => {
    const capture = captureOf({
      files: {
        '/etc/libvirt/qemu/nestlab-l2tcg.xml': data('dom-l2tcg.xml'),
        '/run/libvirt/qemu/nestlab-l2kvm.xml': data('domstatus-l2kvm.xml'),
        '/var/log/libvirt/qemu/nestlab-l2kvm.log': data('libvirt-l2kvm.log'),
      },
      commands: {'libvirtd-version': 'libvirtd (libvirt) 9.0.0\n', 'virsh-version': '9.0.0\n'},
    })
    const l = parseLibvirt(new CaptureView(capture))
    expect(l.libvirtdVersion).toEqual({value: '9.0.0', source: 'command:libvirtd-version'})
    expect(l.virshVersion.value).toBe('9.0.0')
    expect(l.domains.map((d) => [d.name, d.type, d.cpuMode, d.running])).toEqual([
      ['nestlab-l2kvm', 'kvm', 'host-passthrough', true],
      ['nestlab-l2tcg', 'qemu', 'custom', false],
    ])
    expect(l.domains[0]).toMatchObject({xmlSource: '/run/libvirt/qemu/nestlab-l2kvm.xml', logFile: '/var/log/libvirt/qemu/nestlab-l2kvm.log'})
    expect(l.domains[0].errors).toHaveLength(3)
    expect(libvirtVersion(null)).toBeNull()
  })
})
