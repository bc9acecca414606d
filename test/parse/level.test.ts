/**
 * Hypervisor and level detection from weighed evidence: one in-memory capture per kind of
 * machine, each holding what that machine really shows (virtualization-facts.md §1-§3).
 */
import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import type {Capture} from '../../src/capture/types.js'
import {LevelModel} from '../../src/model/level.js'
import {buildLevelModel} from '../../src/parse/index.js'
import {captureOf, type CaptureSpec, loadFixtureCapture} from '../helpers/load-capture.js'

const data = (name: string) => readFileSync(new URL(`data/${name}`, import.meta.url), 'utf8')
const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`

/** A @leaves record: leaf 1 with the hypervisor bit as given, and hypervisor leaves with these signatures. */
function leaves(opts: {hypervisorBit: boolean; signatures?: Record<number, string>}): string {
  const rows = [[1, 0, 0xa10f11, 0, opts.hypervisorBit ? 0x8000_0000 : 0, 0]]
  for (const [leaf, sig] of Object.entries(opts.signatures ?? {})) {
    const b = Buffer.alloc(12)
    b.write(sig, 'latin1')
    rows.push([Number(leaf), 0, 0x4000_0001, b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8)])
  }
  return `${rows.map((r) => r.map(hex).join(' ')).join('\n')}\n`
}

const dmesg = (...lines: string[]) => `${lines.map((l, i) => `[    0.${String(i).padStart(6, '0')}] ${l}`).join('\n')}\n`
const devKvm = {'/dev/kvm@stat': 'type=char mode=0660 uid=0 gid=108 rdev=10:232 readable=yes writable=yes\n'}
const noDevKvm = {kind: 'stat' as const, id: '/dev/kvm', group: 'kvm', status: 'missing' as const, durationMs: 0}
const clocks = (available: string, current = available.split(' ')[0]) => ({
  '/sys/devices/system/clocksource/clocksource0/available_clocksource': `${available}\n`,
  '/sys/devices/system/clocksource/clocksource0/current_clocksource': `${current}\n`,
})
const dmi = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [`/sys/class/dmi/id/${k}`, `${v}\n`]))
const sdv = (vm: string, container = 'none') => ({
  'systemd-detect-virt-vm': {stdout: `${vm}\n`, status: vm === 'none' ? ('failed' as const) : ('ok' as const), exitCode: vm === 'none' ? 1 : 0},
  'systemd-detect-virt-container': {stdout: `${container}\n`, status: container === 'none' ? ('failed' as const) : ('ok' as const), exitCode: container === 'none' ? 1 : 0},
})
const guestCpuinfo = (extraFlags = '') => `processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Intel Xeon Processor (Cascadelake)\nstepping\t: 6\nflags\t\t: fpu vme de pse tsc msr pae hypervisor ${extraFlags}\n\n`

function model(spec: CaptureSpec): LevelModel {
  const m = buildLevelModel(captureOf(spec))
  return LevelModel.parse(m)
}

const machines: Record<string, CaptureSpec> = {
  'Intel L0 (bare metal, kvm_intel nested=Y)': {
    files: {
      '/proc/cpuinfo': data('intel-xeon.cpuinfo'),
      ...devKvm,
      '/sys/module/kvm_intel/parameters/nested': 'Y\n',
      '/sys/module/kvm_intel/parameters/ept': 'Y\n',
      ...dmi({sys_vendor: 'Dell Inc.', product_name: 'PowerEdge R640', bios_vendor: 'Dell Inc.'}),
      ...clocks('tsc hpet acpi_pm'),
    },
    commands: {dmesg: dmesg('Linux version 6.8.0-45-generic', 'DMI: Dell Inc. PowerEdge R640/0H28RR, BIOS 2.19.1 06/04/2023', 'Booting paravirtualized kernel on bare hardware'), ...sdv('none'), 'virt-what': ''},
  },
  'AMD L0 (bare metal, kvm_amd nested=1)': {
    files: {
      '/proc/cpuinfo': 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\nstepping\t: 1\nmicrocode\t: 0xa0011d1\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic svm npt nrip_save vgif avic\n\n',
      '/dev/cpu/0/cpuid@leaves': leaves({hypervisorBit: false}),
      ...devKvm,
      '/sys/module/kvm_amd/parameters/nested': '1\n',
      '/sys/module/kvm_amd/parameters/npt': '1\n',
      ...dmi({sys_vendor: 'Supermicro', product_name: 'AS -1124US-TNRP'}),
    },
    commands: {...sdv('none')},
  },
  'KVM L1 (QEMU q35 guest with vmx, running a KVM guest)': {
    files: {
      '/proc/cpuinfo': guestCpuinfo('vmx ept'),
      '/dev/cpu/0/cpuid@leaves': leaves({hypervisorBit: true, signatures: {0x4000_0000: 'KVMKVMKVM'}}),
      ...devKvm,
      '/sys/module/kvm_intel/parameters/nested': 'N\n',
      ...dmi({sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)', product_version: 'pc-q35-7.2', bios_vendor: 'SeaBIOS'}),
      ...clocks('kvm-clock tsc acpi_pm'),
      '/proc/4242/cmdline': '/usr/bin/qemu-system-x86_64\0-accel\0kvm\0-cpu\0host\0',
      '/proc/4242/fd@links': '9 -> /dev/kvm\n10 -> anon_inode:kvm-vm\n11 -> anon_inode:kvm-vcpu:0\n',
    },
    commands: {dmesg: dmesg('Linux version 6.1.0', 'Hypervisor detected: KVM', 'kvm-clock: Using msrs 4b564d01 and 4b564d00', 'Booting paravirtualized kernel on KVM'), ...sdv('kvm')},
  },
  'TCG L2 (qemu64 under TCG, nothing running)': {
    files: {
      '/proc/cpuinfo': data('qemu-tcg-l2.cpuinfo'),
      '/dev/cpu/0/cpuid@leaves': leaves({hypervisorBit: true, signatures: {0x4000_0000: 'TCGTCGTCGTCG'}}),
      ...dmi({sys_vendor: 'QEMU', product_name: 'Standard PC (i440FX + PIIX, 1996)', product_version: 'pc-i440fx-7.2', bios_vendor: 'SeaBIOS'}),
      ...clocks('tsc hpet acpi_pm'),
    },
    commands: {dmesg: dmesg('Linux version 6.1.0-56-amd64', 'Booting paravirtualized kernel on bare hardware'), ...sdv('qemu')},
    entries: [noDevKvm],
  },
  'TCG L2 hidden (tcg-cpuid=off, -hypervisor): only DMI and systemd say QEMU': {
    files: {
      '/proc/cpuinfo': 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: QEMU Virtual CPU version 2.5+\nflags\t\t: fpu de pse tsc msr pae svm\n\n',
      ...dmi({sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)', product_version: 'pc-q35-7.2'}),
      ...clocks('tsc hpet acpi_pm'),
    },
    commands: {...sdv('qemu')},
    entries: [noDevKvm],
  },
  'Hyper-V guest': {
    files: {
      '/proc/cpuinfo': guestCpuinfo(),
      ...dmi({sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine', bios_vendor: 'Microsoft Corporation'}),
      ...clocks('hyperv_clocksource_tsc_page acpi_pm'),
    },
    commands: {dmesg: dmesg('Linux version 6.8.0-1015-azure', 'Hypervisor detected: Microsoft Hyper-V', 'Hyper-V: privilege flags low 0xae7f'), ...sdv('microsoft'), lscpu: 'Architecture: x86_64\nHypervisor vendor: Microsoft\nVirtualization type: full\n'},
    entries: [noDevKvm],
  },
  'KVM guest with Hyper-V enlightenments': {
    files: {
      '/proc/cpuinfo': guestCpuinfo(),
      '/dev/cpu/0/cpuid@leaves': leaves({hypervisorBit: true, signatures: {0x4000_0000: 'Microsoft Hv', 0x4000_0100: 'KVMKVMKVM'}}),
      ...clocks('kvm-clock hyperv_clocksource_tsc_page tsc'),
    },
    commands: {...sdv('microsoft')},
    entries: [noDevKvm],
  },
  'VMware guest': {
    files: {'/proc/cpuinfo': guestCpuinfo(), ...dmi({sys_vendor: 'VMware, Inc.', product_name: 'VMware Virtual Platform', bios_vendor: 'Phoenix Technologies LTD'})},
    commands: {dmesg: dmesg('Linux version 5.14.0', 'Hypervisor detected: VMware', 'vmware: TSC freq read from hypervisor : 2095.078 MHz'), ...sdv('vmware')},
    entries: [noDevKvm],
  },
  'Xen HVM domU': {
    files: {
      '/proc/cpuinfo': guestCpuinfo(),
      '/sys/hypervisor/type': 'xen\n',
      ...dmi({sys_vendor: 'Xen', product_name: 'HVM domU', bios_vendor: 'Xen'}),
      ...clocks('xen tsc hpet acpi_pm'),
    },
    commands: {dmesg: dmesg('Linux version 5.10.0', 'Hypervisor detected: Xen HVM', 'Booting paravirtualized kernel on Xen HVM'), 'virt-what': 'xen\nxen-hvm\n'},
    entries: [noDevKvm],
  },
}

const expected: Record<string, {isGuest: boolean; hypervisor: string; detail: string | null; level: string; role: string}> = {
  'Intel L0 (bare metal, kvm_intel nested=Y)': {isGuest: false, hypervisor: 'none', detail: null, level: 'L0', role: 'bare-metal-host'},
  'AMD L0 (bare metal, kvm_amd nested=1)': {isGuest: false, hypervisor: 'none', detail: null, level: 'L0', role: 'bare-metal-host'},
  'KVM L1 (QEMU q35 guest with vmx, running a KVM guest)': {isGuest: true, hypervisor: 'kvm', detail: 'QEMU/KVM (machine pc-q35-7.2)', level: 'L1', role: 'guest-hypervisor'},
  'TCG L2 (qemu64 under TCG, nothing running)': {isGuest: true, hypervisor: 'tcg', detail: 'QEMU TCG (machine pc-i440fx-7.2)', level: 'L2', role: 'guest'},
  'TCG L2 hidden (tcg-cpuid=off, -hypervisor): only DMI and systemd say QEMU': {isGuest: true, hypervisor: 'tcg', detail: 'QEMU TCG (machine pc-q35-7.2)', level: 'L2', role: 'guest'},
  'Hyper-V guest': {isGuest: true, hypervisor: 'hyperv', detail: 'Microsoft Hyper-V', level: 'L2', role: 'guest'},
  'KVM guest with Hyper-V enlightenments': {isGuest: true, hypervisor: 'kvm', detail: 'KVM (with Hyper-V enlightenments)', level: 'L2', role: 'guest'},
  'VMware guest': {isGuest: true, hypervisor: 'vmware', detail: 'VMware', level: 'L2', role: 'guest'},
  'Xen HVM domU': {isGuest: true, hypervisor: 'xen', detail: 'Xen HVM', level: 'L2', role: 'guest'},
}

describe('hypervisor and level detection', () => {
  it.each(Object.keys(machines))('%s', (name) => {
    const m = model(machines[name])
    const want = expected[name]
    expect({isGuest: m.virt.isGuest, hypervisor: m.virt.hypervisor, detail: m.virt.hypervisorDetail, level: m.level.detected, role: m.level.detectedRole}).toEqual(want)
    expect(m.level.effective).toBe(want.level)
    expect(m.virt.evidence.length).toBeGreaterThan(0)
    expect(m.level.reasons.length).toBeGreaterThan(0)
  })

  it('says why a guest running nothing is L2, and why a bare-metal host is L0', () => {
    const l2 = model(machines['TCG L2 (qemu64 under TCG, nothing running)'])
    expect(l2.level.reasons).toContain('a guest running no guests; in a nested setup this is the innermost level')
    expect(l2.level.reasons[0]).toMatch(/^a guest of QEMU TCG \(machine pc-i440fx-7.2\): CPUID 0x40000000 = TCGTCGTCGTCG; model name "QEMU TCG CPU/)
    const hidden = model(machines['TCG L2 hidden (tcg-cpuid=off, -hypervisor): only DMI and systemd say QEMU'])
    expect(hidden.level.reasons.join(' ')).toMatch(/QEMU is visible, and there is no KVM CPUID signature, no kvm-clock and no "Hypervisor detected" line/)
    const l0 = model(machines['Intel L0 (bare metal, kvm_intel nested=Y)'])
    expect(l0.level.reasons.join(' ')).toMatch(/no "hypervisor" in CPU flags/)
    expect(l0.level.reasons.join(' ')).toMatch(/\/dev\/kvm present \(provided by kvm_intel\)/)
    expect(l0.kvm.nesting.nested).toBe(true)
    // "bare hardware" is printed under TCG too: listed as a fact with no weight towards bare metal.
    expect(l2.virt.evidence.find((e) => /bare hardware/.test(e.fact))?.source).toBe('command:dmesg line 2')
  })

  it('the KVM L1 counts its QEMU process as running a hypervisor, with the KVM fds as accelerator truth', () => {
    const m = model(machines['KVM L1 (QEMU q35 guest with vmx, running a KVM guest)'])
    expect(m.qemu.processes[0]).toMatchObject({pid: 4242, accel: 'kvm', kvmFds: 3})
    expect(m.level.reasons.join(' ')).toMatch(/1 QEMU process\(es\) running \(1 with KVM\)/)
    expect(m.kvm.vendorModule).toBe('kvm_intel')
    expect(m.kvm.nesting.nested).toBe(false)
  })

  it('a guest whose KVM vendor module failed to load is an L1 without /dev/kvm, not an innermost L2', () => {
    const m = model({
      files: {'/proc/cpuinfo': guestCpuinfo(), ...clocks('kvm-clock tsc')},
      commands: {dmesg: dmesg('Linux version 6.12.48', 'Hypervisor detected: KVM', 'kvm_intel: VMX not supported by CPU 0')},
      entries: [noDevKvm],
    })
    expect(m.level).toMatchObject({detected: 'L1', detectedRole: 'guest-hypervisor'})
    expect(m.level.reasons.at(-1)).toBe(
      'a guest meant to run guests (KVM vendor module failed to load: "kvm_intel: VMX not supported by CPU 0" (command:dmesg line 3)) but without /dev/kvm or a running QEMU',
    )
    expect(m.kvm.loadFailures).toEqual([{text: 'kvm_intel: VMX not supported by CPU 0', source: 'command:dmesg line 3'}])
  })

  it('reads DMI from dmidecode when the kernel has no /sys/class/dmi', () => {
    const dmidecode = [
      '# dmidecode 3.4',
      'Handle 0x0000, DMI type 0, 24 bytes',
      'BIOS Information',
      '\tVendor: SeaBIOS',
      '\tVersion: 1.16.2-debian-1.16.2-1',
      '',
      'Handle 0x0100, DMI type 1, 27 bytes',
      'System Information',
      '\tManufacturer: QEMU',
      '\tProduct Name: Standard PC (i440FX + PIIX, 1996)',
      '\tVersion: pc-i440fx-7.2',
      '',
    ].join('\n')
    const m = model({files: {'/proc/cpuinfo': guestCpuinfo(), ...clocks('tsc hpet acpi_pm')}, commands: {dmidecode}, entries: [noDevKvm]})
    expect(m.virt.dmi).toEqual({bios_vendor: 'SeaBIOS', bios_version: '1.16.2-debian-1.16.2-1', sys_vendor: 'QEMU', product_name: 'Standard PC (i440FX + PIIX, 1996)', product_version: 'pc-i440fx-7.2'})
    expect(m.virt.evidence.find((e) => e.fact === 'DMI sys_vendor "QEMU"')?.source).toBe('command:dmidecode')
    expect([m.virt.hypervisor, m.virt.hypervisorDetail]).toEqual(['tcg', 'QEMU TCG (machine pc-i440fx-7.2)'])
  })

  it('tells z/VM and KVM on s390x from /proc/sysinfo, and an LPAR as the machine level', () => {
    const sysinfo = (vm: string) =>
      `Manufacturer:         IBM\nType:                 3931\nLPAR Number:          21\nLPAR Name:            LP21\n${vm}`
    const zvm = model({files: {'/proc/sysinfo': sysinfo('VM00 Name:            LINUX01\nVM00 Control Program: z/VM    7.3.0\n')}, manifest: {arch: 's390x'}})
    expect([zvm.virt.hypervisor, zvm.level.detected]).toEqual(['zvm', 'L2'])
    const kvm = model({
      files: {'/proc/sysinfo': sysinfo('VM00 Name:            l1\nVM00 Control Program: KVM/Linux\n'), ...devKvm, '/etc/modprobe.d/kvm.conf': 'options kvm nested=1\n'},
      manifest: {arch: 's390x'},
    })
    expect([kvm.virt.hypervisor, kvm.level.detected]).toEqual(['kvm', 'L1'])
    const lpar = model({files: {'/proc/sysinfo': sysinfo(''), ...devKvm}, manifest: {arch: 's390x'}})
    expect([lpar.virt.isGuest, lpar.level.detected]).toEqual([false, 'L0'])
  })

  it('a guest with only an autoloaded /dev/kvm stays L2, saying how to claim L1; set up for guests it is L1', () => {
    const spec: CaptureSpec = {
      files: {'/proc/cpuinfo': guestCpuinfo('svm'), ...devKvm, '/sys/module/kvm_amd/parameters/nested': '1\n', ...clocks('kvm-clock tsc')},
      commands: {dmesg: dmesg('Linux version 6.12.48', 'Hypervisor detected: KVM')},
    }
    const bare = model(spec)
    expect(bare.level.detected).toBe('L2')
    expect(bare.level.reasons.at(-1)).toBe(
      '/dev/kvm present (provided by kvm_amd), but nothing here is set up to run guests (no QEMU, libvirt or kvm options): give --level L1 if this level is meant to host one',
    )
    const withQemu = model({
      ...spec,
      commands: {...spec.commands, 'qemu-version-qemu-system-x86_64': {stdout: 'QEMU emulator version 10.0.2\n', argv: ['/usr/bin/qemu-system-x86_64', '--version']}},
    })
    expect(withQemu.level.detected).toBe('L1')
    expect(withQemu.level.reasons.at(-1)).toBe('a guest that runs a hypervisor: /dev/kvm present (provided by kvm_amd), set up for guests (QEMU installed)')
  })

  it('a guest whose kernel announces PVM is a PVM guest, though every other signal says KVM', () => {
    const m = model({
      files: {'/proc/cpuinfo': guestCpuinfo(), '/dev/cpu/0/cpuid@leaves': leaves({hypervisorBit: true, signatures: {0x4000_0000: 'KVMKVMKVM'}}), ...clocks('kvm-clock tsc')},
      commands: {dmesg: dmesg('Linux version 6.7.0-pvm', 'Hypervisor detected: KVM', 'pvm-pv: PVM guest detected')},
      entries: [noDevKvm],
    })
    expect([m.virt.hypervisor, m.virt.hypervisorDetail, m.level.detected]).toEqual(['pvm', 'KVM PVM', 'L2'])
    expect(m.virt.evidence.find((e) => e.indicates === 'pvm')).toEqual({fact: 'kernel: "pvm-pv: PVM guest detected"', source: 'command:dmesg line 3', indicates: 'pvm'})
    // The PVM host kernel of this project's machine says "pvm-pv: not detected": not a PVM guest.
    expect(buildLevelModel(loadFixtureCapture('pvm-l1')).virt.hypervisor).toBe('kvm')
  })

  it('counts a boot line once when the log spans several boots (kern.log)', () => {
    const boot = (t: string) => `Nov 25 ${t} l1 kernel: [    0.000000] Hypervisor detected: KVM\nNov 25 ${t} l1 kernel: [    0.000000] kvm-clock: Using msrs 4b564d01 and 4b564d00\n`
    const m = model({files: {'/proc/cpuinfo': guestCpuinfo(), '/var/log/kern.log': boot('10:00:00') + boot('11:00:00')}, commands: {dmesg: {stdout: '', status: 'permission-denied'}}})
    expect(m.kernelLog.source).toBe('/var/log/kern.log')
    expect(m.virt.evidence.filter((e) => e.fact === 'kernel: "Hypervisor detected: KVM"').map((e) => e.source)).toEqual(['/var/log/kern.log line 1'])
    expect(m.virt.hypervisor).toBe('kvm')
  })

  it('a bare-metal cloud instance (.metal) is L0 despite the Amazon DMI vendor', () => {
    const m = model({files: {'/proc/cpuinfo': data('intel-xeon.cpuinfo'), ...dmi({sys_vendor: 'Amazon EC2', product_name: 'm5.metal'}), ...devKvm}})
    expect([m.virt.isGuest, m.level.detected]).toEqual([false, 'L0'])
  })

  it('reports a container inside the VM separately, leaving the VM answer alone', () => {
    const spec = machines['KVM guest with Hyper-V enlightenments']
    const m = model({...spec, files: {...spec.files, '/.dockerenv': '', '/proc/1/cgroup': '0::/system.slice/docker-0123abcd.scope\n'}, commands: {...spec.commands, ...sdv('microsoft', 'docker')}})
    expect(m.virt.container.kind).toBe('docker')
    expect(m.virt.container.evidence.map((e) => e.source)).toEqual(['command:systemd-detect-virt-container', '/.dockerenv', '/proc/1/cgroup'])
    expect(m.virt.hypervisor).toBe('kvm')
    const podman = model({files: {'/run/.containerenv': 'engine="podman-4.9.3"\n', '/run/systemd/container': 'podman\n'}})
    expect(podman.virt.container.kind).toBe('podman')
    expect(model(machines['VMware guest']).virt.container).toEqual({kind: null, evidence: [{fact: 'systemd-detect-virt --container: none', source: 'command:systemd-detect-virt-container', indicates: 'no-container'}]})
  })

  it('keeps the detected level beside a --level override, and ignores an invalid one', () => {
    const spec = machines['KVM L1 (QEMU q35 guest with vmx, running a KVM guest)']
    const over = model({...spec, manifest: {levelOverride: 'l2'}})
    expect(over.level).toMatchObject({detected: 'L1', override: 'L2', effective: 'L2'})
    expect(over.level.reasons.at(-1)).toBe('--level L2 given; detected L1 is kept beside it')
    const bad = model({...spec, manifest: {levelOverride: 'L5'}})
    expect(bad.level).toMatchObject({detected: 'L1', override: null, effective: 'L1'})
    expect(bad.level.reasons.at(-1)).toMatch(/--level "L5" ignored/)
  })

  it('says nothing is known when the capture holds no evidence, and lists that as not derived', () => {
    const m = model({})
    expect(m.virt).toMatchObject({isGuest: null, hypervisor: 'unknown'})
    expect(m.level).toMatchObject({detected: null, detectedRole: 'unknown', effective: null})
    expect(m.notCollected.map((n) => n.what)).toEqual(expect.arrayContaining(['level (L0/L1/L2)', 'hypervisor below this level', 'kernel log', 'CPU model name']))
  })

  it('does not call a bare guest flag TCG when nothing that would show KVM was captured', () => {
    const m = model({files: {'/proc/cpuinfo': guestCpuinfo()}})
    expect([m.virt.isGuest, m.virt.hypervisor]).toEqual([true, 'unknown'])
  })

  it('names Firecracker only with its own evidence: no DMI plus the FIRECK ACPI OEM ID or virtio-mmio', () => {
    const kvmNoDmi = (log: string[], cmdline?: string): Capture =>
      captureOf({
        files: {'/proc/cpuinfo': guestCpuinfo(), ...clocks('kvm-clock tsc', 'tsc'), ...(cmdline ? {'/proc/cmdline': cmdline} : {})},
        commands: {dmesg: dmesg('Linux version 6.1.0', 'DMI not present or invalid.', 'Hypervisor detected: KVM', ...log)},
      })
    expect(buildLevelModel(kvmNoDmi([])).virt.hypervisorDetail).toBe('KVM')
    const acpi = buildLevelModel(kvmNoDmi(['ACPI: RSDP 0x00000000000E0000 000024 (v02 FIRECK)']))
    expect(acpi.virt.hypervisorDetail).toBe('Firecracker (KVM)')
    expect(acpi.virt.evidence.find((e) => e.indicates === 'firecracker')?.fact).toMatch(/DMI not present.*FIRECK/)
    expect(buildLevelModel(kvmNoDmi([], 'console=ttyS0 virtio_mmio.device=4K@0xd0000000:5\n')).virt.hypervisorDetail).toBe('Firecracker (KVM)')
  })
})

describe('the pvm-l1 capture (this project machine)', () => {
  const m = LevelModel.parse(buildLevelModel(loadFixtureCapture('pvm-l1'), {toolVersion: '9.9.9'}))

  it('is a KVM guest (Firecracker) running a hypervisor through kvm_pvm: L1', () => {
    expect(m.tool).toEqual({name: 'nestreport', version: '9.9.9'})
    expect(m.virt).toMatchObject({isGuest: true, hypervisor: 'kvm', hypervisorDetail: 'Firecracker (KVM)'})
    expect(m.level).toMatchObject({detected: 'L1', detectedRole: 'guest-hypervisor', override: null, effective: 'L1'})
    expect(m.kvm.vendorModule).toBe('kvm_pvm')
    expect(m.kvm.devKvm.present).toBe(true)
    expect(m.cpu.virtFlags).toEqual({vmx: false, svm: false, hypervisor: true})
  })

  it('shows the CPUID, dmesg and clocksource evidence with sources', () => {
    const facts = m.virt.evidence.map((e) => `${e.fact} @ ${e.source}`)
    expect(facts).toEqual(
      expect.arrayContaining([
        'CPUID 0x40000000 = KVMKVMKVM @ /dev/cpu/0/cpuid@leaves',
        expect.stringMatching(/^kernel: "Hypervisor detected: KVM" @ command:dmesg line \d+$/),
        expect.stringMatching(/^kernel: kvm-clock registered .* @ command:dmesg line \d+$/),
        'kvm-clock among available clocksources @ /sys/devices/system/clocksource/clocksource0/available_clocksource',
      ]),
    )
    expect(m.virt.clocksource.available).toContain('kvm-clock')
  })

  it('lists every kvm and kvm_pvm parameter with its live value', () => {
    const capture = loadFixtureCapture('pvm-l1')
    for (const name of ['kvm', 'kvm_pvm']) {
      const module = m.kvm.modules.find((x) => x.name === name)!
      const dir = `/sys/module/${name}/parameters/`
      const live = Object.fromEntries(
        [...capture.files.entries()].filter(([p]) => p.startsWith(dir)).map(([p, v]) => [p.slice(dir.length), v.toString().trim()]),
      )
      expect(Object.keys(live).length).toBeGreaterThan(5)
      expect(module.parameters).toEqual(live)
    }
    expect(m.kvm.modules.find((x) => x.name === 'kvm_pvm')?.parameters).toHaveProperty('pvm_native')
  })

  it('reports the docker container separately', () => {
    expect(m.virt.container.kind).toBe('docker')
    expect(m.virt.container.evidence.map((e) => e.source)).toContain('/.dockerenv')
  })
})
