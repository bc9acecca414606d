import {describe, expect, it} from 'vitest'

import {emptyIdentitySeeds, IdentityRedactor, type IdentitySeeds} from '../../src/redact/identity.js'
import {IdentityMap} from '../../src/redact/identity-map.js'
import {TECHNICAL} from './corpus.js'

function redactor(seeds: Partial<Record<keyof IdentitySeeds, string[]>>, map = new IdentityMap()): IdentityRedactor {
  const s = emptyIdentitySeeds()
  for (const [k, values] of Object.entries(seeds)) for (const v of values ?? []) s[k as keyof IdentitySeeds].add(v)
  return new IdentityRedactor(map, s)
}

describe('short host name "vm"', () => {
  const r = redactor({hostnames: ['vm']})

  it('is replaced where it stands as a host name', () => {
    expect(r.redact('hostname: vm\n')).toBe('hostname: host1\n')
    expect(r.redact('vm login: root')).toBe('host1 login: root')
    expect(r.redact('Nov 25 10:00:00 vm kernel: kvm: nested run')).toBe('Nov 25 10:00:00 host1 kernel: kvm: nested run')
    expect(r.redact('2026-11-25T10:00:02.000000+00:00 vm kernel: x')).toBe('2026-11-25T10:00:02.000000+00:00 host1 kernel: x')
    expect(r.redact('Linux vm 6.18.44-fc-v657 #1 SMP')).toBe('Linux host1 6.18.44-fc-v657 #1 SMP')
    expect(r.redact('root@vm:~# ls')).toBe('root@host1:~# ls')
    expect(r.redact('HOSTNAME=vm')).toBe('HOSTNAME=host1')
    expect(r.redact(' Static hostname: vm')).toBe(' Static hostname: host1')
    expect(r.redact('Debian GNU/Linux 12 vm ttyS0')).toBe('Debian GNU/Linux 12 host1 ttyS0')
    expect(r.redact('vm\n', {exact: true})).toBe('host1\n')
  })

  it('is not replaced inside symbols or as an ordinary word', () => {
    for (const text of [
      'kvm',
      'vmx',
      'svm',
      'vm_area_struct',
      'nested_vmx_vmexit+0x7a/0x90 [kvm_intel]',
      '/proc/sys/vm/overcommit_memory',
      'kvm: vm 1234 exited, vmx disabled',
      'Comm: vm-runner Tainted: G',
      'Icon name: computer-vm',
      'kvm_vm_ioctl',
      'CONFIG_KVM=y vm.max_map_count=65530',
    ]) {
      expect(r.redact(text)).toBe(text)
    }
    // "exact" applies only to a text that is the name as a whole.
    expect(r.redact('kvm\n', {exact: true})).toBe('kvm\n')
  })
})

describe('long host names, FQDNs and domains', () => {
  const r = redactor({hostnames: ['bigiron7.corp.example.com']})

  it('maps the FQDN, its first label and other names in the domain consistently', () => {
    expect(r.redact('hostname: bigiron7.corp.example.com')).toBe('hostname: host1.domain1.example')
    expect(r.redact('ip=::bigiron7:eno1')).toBe('ip=::host1:eno1')
    expect(r.redact('DHCPACK otherbox.corp.example.com')).toBe('DHCPACK host2.domain1.example')
    expect(r.redact('search corp.example.com')).toBe('search domain1.example')
    expect(r.redact('Set hostname to <bigiron7.corp.example.com>.')).toBe('Set hostname to <host1.domain1.example>.')
  })

  it('replaces whole tokens only', () => {
    const t = redactor({hostnames: ['haltpoll', 'cpuidle']})
    for (const text of ['cpuidle_haltpoll.force=1', 'haltpoll.guest_halt_poll_ns=200000', 'ffffffff81047000 T cpuidle_haltpoll_init', 'CONFIG_HALTPOLL_CPUIDLE=y']) {
      expect(t.redact(text)).toBe(text)
    }
    expect(t.redact('Nov 25 10:00:00 haltpoll kernel: x')).toBe('Nov 25 10:00:00 host1 kernel: x')
  })

  it('treats a host called debian as ambiguous: os-release stays intact', () => {
    const d = redactor({hostnames: ['debian']})
    expect(d.redact(TECHNICAL.osRelease)).toBe(TECHNICAL.osRelease)
    expect(d.redact('debian login:')).toBe('host1 login:')
  })
})

describe('addresses', () => {
  const r = redactor({})

  it('maps IPv4 by /24 network and keeps the host part, so ranges and CIDRs stay coherent', () => {
    const out = r.redact('dhcp-range=192.168.122.2,192.168.122.254 route 10.20.30.0/24 via 10.20.30.1 peer 10.20.30.40')
    expect(out).toBe('dhcp-range=192.0.2.2,192.0.2.254 route 198.51.100.0/24 via 198.51.100.1 peer 198.51.100.40')
    expect(r.redact('neigh dev 10.20.30.41 lladdr')).toBe('neigh dev 198.51.100.41 lladdr')
  })

  it('leaves loopback, unspecified, netmasks, multicast and version numbers alone', () => {
    for (const text of ['addr=127.0.0.1', '0.0.0.0/0', 'netmask 255.255.255.0', '224.0.0.251', 'BIOS 1.8.2 12/01/2022', 'version 10.0.20348.1', 'v1.2.3.4', '6.18.44-fc-v657', 'QEMU emulator version 8.2.2']) {
      expect(r.redact(text)).toBe(text)
    }
  })

  it('maps IPv6 by /64 and link-local interface ids (which may embed a MAC)', () => {
    const out = r.redact('from 2a01:4f8:10a:1b2c::2 and 2a01:4f8:10a:1b2c::3, br0: fe80::5054:ff:fe12:3456 is tentative; ::1 and ff02::1 stay')
    expect(out).toBe('from 2001:db8:0:1::1 and 2001:db8:0:1::2, br0: fe80::1 is tentative; ::1 and ff02::1 stay')
  })

  it('does not see IPv6 in times, PCI addresses, C++ scopes or MACs', () => {
    for (const text of ['10:00:00', '0000:00:1f.6', 'std::vector', 'Class::add', 'Nov 25 10:00:00.123', '0::/\n', '0:0:0:0:0:0:0:1', '::']) expect(r.redact(text)).toBe(text)
  })

  it('maps MACs to locally administered ones and keeps the separator', () => {
    expect(r.redact('mac=52:54:00:12:34:56 hw 3C-EC-EF-AA-BB-CC bcast ff:ff:ff:ff:ff:ff')).toBe('mac=02:00:00:00:00:01 hw 02-00-00-00-00-02 bcast ff:ff:ff:ff:ff:ff')
  })

  it('maps UUIDs, keeping the nil UUID', () => {
    expect(r.redact('<uuid>0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10</uuid> 00000000-0000-0000-0000-000000000000')).toBe(
      '<uuid>00000000-0000-4000-8000-000000000001</uuid> 00000000-0000-0000-0000-000000000000',
    )
  })
})

describe('users, serials, machine-id', () => {
  it('replaces user names in home paths and environments, short ones only there', () => {
    const r = redactor({usernames: ['alice', 'jdoe']})
    expect(r.redact('HOME=/home/alice XDG=/home/alice/.cache alice@box')).toBe('HOME=/home/user1 XDG=/home/user1/.cache user1@box')
    expect(r.redact('USER=jdoe HOME=/home/jdoe')).toBe('USER=user2 HOME=/home/user2')
    expect(r.redact('jdoes and jdoe_x stay')).toBe('jdoes and jdoe_x stay')
  })

  it('replaces long serials anywhere and short ones only as a whole value', () => {
    const r = redactor({serials: ['pf2xk9qz77', '1234']})
    expect(r.redact('Serial Number: PF2XK9QZ77')).toBe('Serial Number: serial1')
    expect(r.redact('1234\n', {exact: true})).toBe('serial2\n')
    expect(r.redact('PID 1234 exited')).toBe('PID 1234 exited')
  })

  it('replaces the machine-id', () => {
    const r = redactor({machineIds: ['8f1a2b3c4d5e6f708192a3b4c5d6e7f8']})
    expect(r.redact('_MACHINE_ID=8f1a2b3c4d5e6f708192a3b4c5d6e7f8')).toBe('_MACHINE_ID=00000000000000000000000000000001')
  })
})

describe('collateral damage', () => {
  it('leaves technical content byte-identical with every kind of seed present', () => {
    const r = redactor({hostnames: ['vm', 'bigiron7.corp.example.com', 'haltpoll'], usernames: ['alice', 'kvm'], serials: ['pf2xk9qz77']})
    for (const text of [TECHNICAL.cpuinfo, TECHNICAL.cpuidLeaves, TECHNICAL.kallsyms, TECHNICAL.version, TECHNICAL.qemuVersion, TECHNICAL.osRelease, TECHNICAL.modprobe]) {
      expect(r.redact(text)).toBe(text)
    }
    for (const value of [...Object.values(TECHNICAL.kvmParams), ...Object.values(TECHNICAL.haltpoll)]) expect(r.redact(value, {exact: true})).toBe(value)
  })

  it('is idempotent with the same map', () => {
    const map = new IdentityMap()
    const r = redactor({hostnames: ['vm', 'bigiron7.corp.example.com'], usernames: ['alice']}, map)
    const text = 'hostname: vm\nNov 25 10:00:00 vm kernel: from 10.20.30.40 fe80::1:2 52:54:00:12:34:56 /home/alice bigiron7.corp.example.com 0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10\n'
    const once = r.redact(text)
    expect(r.redact(once)).toBe(once)
    const again = redactor({hostnames: ['vm'], usernames: ['alice']}, map)
    expect(again.redact(once)).toBe(once)
  })
})
