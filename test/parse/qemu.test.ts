import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {parseQemu, parseQemuArgv, qemuVersion, splitOptionValue} from '../../src/parse/qemu.js'
import {captureOf} from '../helpers/load-capture.js'

const argv = (line: string) => line.split(' ')

describe('parseQemuArgv', () => {
  it.each([
    ['qemu-system-x86_64 -accel kvm -cpu host -m 512', 'kvm', false],
    ['qemu-system-x86_64 -accel tcg,thread=multi -cpu max', 'tcg', false],
    ['qemu-system-x86_64 -accel kvm -accel tcg', 'kvm:tcg', false],
    ['qemu-system-x86_64 --accel=kvm', 'kvm', false],
    ['qemu-system-x86_64 -enable-kvm -m 1G', 'kvm', false],
    ['qemu-system-x86_64 -machine q35,accel=kvm:tcg -m 1G', 'kvm:tcg', false],
    ['qemu-system-x86_64 -M pc,accel=tcg', 'tcg', false],
    ['qemu-system-x86_64 -m 512 -nographic', 'tcg', true],
    ['/usr/bin/kvm -m 512', 'kvm', true],
    ['/usr/libexec/qemu-kvm -m 512', 'kvm', true],
  ])('%s -> %s', (line, accel, defaulted) => {
    const c = parseQemuArgv(argv(line))
    expect(c.requestedAccel).toBe(accel)
    expect(c.accelDefaulted).toBe(defaulted)
  })

  it('reads -name guest=, -machine type, -cpu, -incoming and skips libvirt JSON -object values', () => {
    const c = parseQemuArgv([
      '/usr/bin/qemu-system-x86_64',
      '-name',
      'guest=l2,debug-threads=on',
      '-S',
      '-object',
      '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-1-l2/master-key.aes"}',
      '-machine',
      'pc-q35-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram',
      '-accel',
      'kvm',
      '-cpu',
      'Haswell-noTSX-IBRS,vmx=on',
      '-incoming',
      'defer',
    ])
    expect(c).toEqual({
      name: 'l2',
      requestedAccel: 'kvm',
      accelDefaulted: false,
      cpuModel: 'Haswell-noTSX-IBRS,vmx=on',
      machine: 'pc-q35-7.2',
      incomingMigration: true,
    })
    expect(parseQemuArgv(['qemu-system-x86_64', '-name', 'legacy,process=x']).name).toBe('legacy')
  })

  it('splits option values with escaped commas and JSON', () => {
    expect(splitOptionValue('file=a,,b.img,if=virtio,readonly', 'file')).toEqual({file: 'a,b.img', if: 'virtio', readonly: 'on'})
    expect(splitOptionValue('{"qom-type":"kvm-accel","id":"a"}', 'accel')).toEqual({'qom-type': 'kvm-accel', id: 'a'})
    expect(splitOptionValue('{broken', 'x')).toEqual({})
  })
})

describe('parseQemu', () => {
  const cmdline = (parts: string[]) => `${parts.join('\0')}\0`

  it('takes the accelerator truth from fds and vCPU thread names over the command line', () => {
    const capture = captureOf({
      files: {
        // Asks for kvm:tcg, but /dev/kvm failed: TCG threads, no KVM fds.
        '/proc/100/cmdline': cmdline(['/usr/bin/qemu-system-x86_64', '-name', 'guest=l2tcg,debug-threads=on', '-machine', 'pc,accel=kvm:tcg', '-cpu', 'qemu64,svm=on']),
        '/proc/100@links': 'exe -> /usr/bin/qemu-system-x86_64\n',
        '/proc/100/fd@links': '0 -> /dev/null\n1 -> pipe:[1234]\n3 -> anon_inode:[eventfd]\n',
        '/proc/100/task/100/comm': 'qemu-system-x86\n',
        '/proc/100/task/101/comm': 'CPU 0/TCG\n',
        // A KVM guest.
        '/proc/200/cmdline': cmdline(['/usr/bin/kvm', '-name', 'guest=l2kvm,debug-threads=on', '-cpu', 'host', '-incoming', 'tcp:0:4444']),
        '/proc/200@links': 'exe -> /usr/bin/qemu-system-x86_64\n',
        '/proc/200/fd@links': '0 -> /dev/null\n9 -> /dev/kvm\n10 -> anon_inode:kvm-vm\n12 -> anon_inode:kvm-vcpu:0\n13 -> anon_inode:kvm-vcpu:1\n',
        '/proc/200/task/201/comm': 'CPU 0/KVM\n',
        '/proc/200/task/202/comm': 'CPU 1/KVM\n',
        // fds unreadable, no debug-threads: unknown.
        '/proc/300/cmdline': cmdline(['qemu-system-aarch64', '-M', 'virt', '-accel', 'kvm']),
        // cmdline unreadable, fds readable.
        '/proc/400@links': 'exe -> /usr/libexec/qemu-kvm\n',
        '/proc/400/fd@links': '5 -> /dev/kvm\n6 -> anon_inode:kvm-vm\n',
        // Captured for container detection, not a QEMU.
        '/proc/1/cgroup': '0::/\n',
      },
      commands: {
        'qemu-version-qemu-system-x86_64': {
          stdout: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n',
          argv: ['/usr/bin/qemu-system-x86_64', '--version'],
          group: 'qemu',
        },
        'qemu-version-qemu-system-i386': {stdout: '', status: 'timed-out', argv: ['/usr/bin/qemu-system-i386', '--version'], group: 'qemu'},
      },
    })
    const q = parseQemu(new CaptureView(capture))
    expect(q.binaries).toEqual([
      {path: '/usr/bin/qemu-system-x86_64', version: '7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', source: 'command:qemu-version-qemu-system-x86_64'},
      {path: '/usr/bin/qemu-system-i386', version: null, source: 'command:qemu-version-qemu-system-i386'},
    ])
    expect(q.processes.map((p) => p.pid)).toEqual([100, 200, 300, 400])
    expect(q.processes[3]).toMatchObject({exe: '/usr/libexec/qemu-kvm', argv: [], requestedAccel: 'kvm', accel: 'kvm', kvmFds: 2})
    const [tcg, kvm, unknown] = q.processes
    expect(tcg).toMatchObject({pid: 100, name: 'l2tcg', requestedAccel: 'kvm:tcg', accel: 'tcg', kvmFds: 0, vcpuThreads: ['CPU 0/TCG'], cpuModel: 'qemu64,svm=on'})
    expect(kvm).toMatchObject({pid: 200, exe: '/usr/bin/qemu-system-x86_64', requestedAccel: 'kvm', accel: 'kvm', kvmFds: 4, incomingMigration: true})
    // Debian's kvm symlink: the exe link is the emulator, argv[0] keeps the name QEMU picks its default by.
    expect(kvm.accelEvidence.map((e) => e.indicates)).toEqual(['kvm', 'kvm', 'kvm'])
    expect(kvm.accelEvidence[2].fact).toBe('no accelerator option: /usr/bin/kvm defaults to kvm')
    expect(unknown).toMatchObject({pid: 300, accel: 'unknown', kvmFds: null, requestedAccel: 'kvm', machine: 'virt'})
  })

  it('extracts the version from qemu --version output', () => {
    expect(qemuVersion('QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)\n')).toBe('8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)')
    expect(qemuVersion('garbage')).toBeNull()
  })
})
