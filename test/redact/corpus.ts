/**
 * A planted corpus for the redaction tests: an L0 host (FQDN, DMI, libvirt, a running QEMU with
 * every kind of inline secret) and an L1 guest whose host name is the short `vm`. Every planted
 * secret and identity is listed, so a test can assert that none survives anywhere.
 */
import type {Capture, ManifestEntry} from '../../src/capture/types.js'
import {baseManifest} from '../bundle/tar-builder.js'

/** Secret values: none may appear anywhere in a redacted bundle, with or without --redact. */
export const SECRETS = [
  'S3cr3tSpice!',
  'c2VjcmV0LWRhdGEtdmFsdWU=',
  'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==',
  'AQBxaWJlY2VwaGtleWZvcnRlc3Rpbmc9PQ==',
  'iscsiPw-77',
  'IscsiOpt-55',
  'HttpPw-42',
  'CookieVal-9',
  'VncXmlPw-8',
  'KernelPw-1',
  'KernelTok-2',
  'IgnPw-3',
  'AppendPw-4',
  'AppendTok-5',
  'FwCfgHash5',
  'SmbiosCredHash',
  'Q3JlZEJpbmFyeTY=',
  'ProxyPw-31',
  'CredSet-6',
  'LogSpice Pw 10',
  'XmlElemSecret-11',
  'DmesgTok-12',
] as const

/** Identity values of L0: none may appear in a bundle redacted with --redact. */
export const L0_IDENTITY = [
  'bigiron7',
  'corp.example.com',
  'otherbox',
  '10.20.30.40',
  '10.20.30.41',
  '10.1.2.3',
  '192.168.122.1',
  '192.168.122.254',
  '2a01:4f8:10a:1b2c::2',
  'fe80::5054:ff:fe12:3456',
  '52:54:00:12:34:56',
  '3c:ec:ef:aa:bb:cc',
  'PF2XK9QZ77',
  'BRD-77812-XYZ',
  'CH123456789',
  '4c4c4544-0051-3510-8052-b4c04f565432',
  '8f1a2b3c4d5e6f708192a3b4c5d6e7f8',
  'alice',
  'jdoe',
  '0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10',
  '52:54:00:ab:cd:ef',
] as const

const NUL = '\0'

export const QEMU_ARGV = [
  '/usr/bin/qemu-system-x86_64',
  '-name',
  'guest=l1,debug-threads=on',
  '-machine',
  'pc-q35-8.2,accel=kvm,usb=off',
  '-cpu',
  'host,migratable=on,vmx=on',
  '-object',
  'secret,id=sec0,data=c2VjcmV0LWRhdGEtdmFsdWU=,format=base64',
  '-drive',
  'file=rbd:pool/l1disk:id=admin:key=AQBxaWJlY2VwaGtleWZvcnRlc3Rpbmc9PQ==:auth_supported=cephx:mon_host=10.20.30.41,format=raw,if=none,id=drive0',
  '-drive',
  'file=iscsi://alice%iscsiPw-77@10.1.2.3/iqn.2001-04.com.example:storage/1,if=none,id=drive1',
  '-iscsi',
  'user=alice,password=IscsiOpt-55',
  '-drive',
  'file=https://admin:HttpPw-42@images.example.net/disk.qcow2,cookie=sessionid=CookieVal-9,if=none,id=drive2',
  '-spice',
  'port=5900,addr=127.0.0.1,password=S3cr3tSpice!,seamless-migration=on',
  '-vnc',
  '127.0.0.1:0,password=on',
  '-append',
  'console=ttyS0 rd.iscsi.password=AppendPw-4 token=AppendTok-5 cpuidle_haltpoll.force=1',
  '-fw_cfg',
  'name=opt/com.coreos/config,string={"ignition":{"version":"3.4.0"},,"passwd":{"users":[{"name":"core",,"passwordHash":"$6$FwCfgHash5"}]}}',
  '-smbios',
  'type=11,value=io.systemd.credential.binary:tmpfiles.extra=Q3JlZEJpbmFyeTY=',
  '-netdev',
  'tap,id=net0,ifname=vnet0,script=no',
  '-device',
  'virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56',
  '-uuid',
  '0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10',
  '-incoming',
  'tcp:10.20.30.40:4444',
]

export const LIBVIRT_LOG = `2026-11-25 10:00:00.000+0000: starting up libvirt version: 9.0.0, package: 9.0.0-4 (Debian), qemu version: 7.2.0Debian 1:7.2+dfsg-7, kernel: 6.18.44-fc-v657, hostname: bigiron7.corp.example.com
LC_ALL=C \\
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin \\
HOME=/home/alice \\
USER=alice \\
https_proxy=http://proxyuser:ProxyPw-31@proxy.corp.example.com:3128 \\
XDG_CACHE_HOME=/home/alice/.cache \\
/usr/bin/qemu-system-x86_64 \\
-name guest=l1,debug-threads=on \\
-object '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-1-l1/master-key.aes"}' \\
-object '{"qom-type":"secret","id":"libvirt-2-storage-auth-secret0","data":"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==","keyid":"masterKey0","iv":"AAECAwQFBgcICQoLDA0ODw==","format":"base64"}' \\
-blockdev '{"driver":"rbd","pool":"rbd","image":"l1disk","server":[{"host":"10.20.30.41","port":"6789"}],"user":"admin","key-secret":"libvirt-2-storage-auth-secret0","node-name":"libvirt-2-storage"}' \\
-spice 'port=5900,addr=127.0.0.1,password=LogSpice Pw 10,seamless-migration=on' \\
-device '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:ab:cd:ef","bus":"pci.0","addr":"0x3"}' \\
-smbios 'type=11,value=io.systemd.credential:passwd.hashed-password.root=$6$SmbiosCredHash' \\
-uuid 0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10 \\
-msg timestamp=on
char device redirected to /dev/pts/3 (label charserial0)
2026-11-25T10:00:01.000000Z qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.80000001H:ECX.svm [bit 2]
2026-11-25 10:05:00.000+0000: shutting down, reason=shutdown
`

export const DOMAIN_XML = `<domain type='kvm'>
  <name>l1</name>
  <uuid>0d6c2c3f-5a7e-4e2b-9a4e-3b1f2a7c9d10</uuid>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <devices>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='rbd/l1disk'>
        <host name='10.20.30.41' port='6789'/>
        <auth username='admin'>
          <secret type='ceph' usage='client.admin secret'/>
        </auth>
      </source>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:ab:cd:ef'/>
      <source bridge='br0'/>
    </interface>
    <graphics type='vnc' port='-1' autoport='yes' listen='10.20.30.40' passwd='VncXmlPw-8'/>
    <secret ephemeral='no' private='yes'>XmlElemSecret-11</secret>
  </devices>
</domain>
`

export const L0_CMDLINE =
  'BOOT_IMAGE=/vmlinuz-6.18.44-fc-v657 root=UUID=4c4c4544-0051-3510-8052-b4c04f565432 ro kvm_intel.nested=1 cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=200000 password=KernelPw-1 token=KernelTok-2 ignition.config.url=https://ign:IgnPw-3@config.corp.example.com/ign.json systemd.set_credential=passwd.plaintext-password.root:CredSet-6 ip=10.20.30.40::10.20.30.1:255.255.255.0:bigiron7:eno1:none\n'

export const L0_DMESG = `[    0.000000] Linux version 6.18.44-fc-v657 (builder@ci-runner) (gcc (GCC) 13.2.0, GNU ld 2.41) #1 SMP PREEMPT_DYNAMIC
[    0.000000] Command line: ${L0_CMDLINE.trim()}
[    0.000000] DMI: Dell Inc. PowerEdge R650/0PYXKY, BIOS 1.8.2 12/01/2022
[    1.234567] kvm_intel: Nested Virtualization enabled
[    2.000000] virbr0: port 1(vnet0) entered forwarding state
[    2.100000] e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx
[    2.100100] e1000e 0000:00:1f.6 eno1: (PCI Express:2.5GT/s:Width x1) 3c:ec:ef:aa:bb:cc
[    2.200000] IPv6: ADDRCONF(NETDEV_CHANGE): eno1: link becomes ready
[    2.300000] dnsmasq-dhcp: DHCPACK(virbr0) 192.168.122.254 52:54:00:12:34:56 otherbox.corp.example.com
[    2.400000] ceph: auth token=DmesgTok-12 for client.admin from 2a01:4f8:10a:1b2c::2
[    2.500000] br0: fe80::5054:ff:fe12:3456 is tentative
[    3.000000] systemd[1]: Set hostname to <bigiron7.corp.example.com>.
`

/** Technical text that holds nothing to redact: must come out byte-identical. */
export const TECHNICAL = {
  cpuinfo: `processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
microcode\t: 0xd0003b9
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr vmx smx est ept vpid ept_ad flexpriority tpr_shadow avx512_vnni md_clear arch_capabilities
vmx flags\t: vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs pml ept_mode_based_exec tsc_scaling
bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs mmio_stale_data eibrs_pbrsb gds bhi
`,
  cpuidLeaves: `0x00000000 0x00000000 0x0000001b 0x756e6547 0x6c65746e 0x49656e69
0x00000001 0x00000000 0x000606a6 0x00800800 0xfffab223 0x1f8bfbff
0x40000000 0x00000000 0x40000001 0x4b4d564b 0x564b4d56 0x0000004d
0x80000001 0x00000000 0x00000000 0x00000000 0x00000121 0x2c100800
`,
  kallsyms: `ffffffff81000000 T _stext
ffffffff8101a2b0 t vmx_vcpu_run
ffffffff8101b000 T nested_vmx_vmexit
ffffffff8102c440 t svm_vcpu_run [kvm_amd]
ffffffff81045000 T kvm_vm_ioctl
ffffffff81046000 t vm_area_alloc
ffffffff81047000 T cpuidle_haltpoll_init
ffffffff81048000 t haltpoll_guest_halt_poll_ns
`,
  version: 'Linux version 6.18.44-fc-v657 (root@buildhost) (gcc (GCC) 13.2.0, GNU ld 2.41) #1 SMP PREEMPT_DYNAMIC Tue Nov 18 10:00:00 UTC 2026\n',
  qemuVersion: 'QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)\nCopyright (c) 2003-2023 Fabrice Bellard and the QEMU Project developers\n',
  osRelease: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\nHOME_URL="https://www.debian.org/"\n',
  kvmParams: {nested: 'Y\n', ept: 'Y\n', enable_shadow_vmcs: 'Y\n', halt_poll_ns: '200000\n'},
  haltpoll: {force: 'Y\n', guest_halt_poll_ns: '200000\n', guest_halt_poll_allow_shrink: 'Y\n'},
  modprobe: 'options kvm_intel nested=1 enable_shadow_vmcs=1\noptions kvm ignore_msrs=1 report_ignored_msrs=0\n',
  ranges: 'dhcp-range=192.168.122.2,192.168.122.254\nroute 10.20.30.0/24 via 10.20.30.1\n',
}

function entry(kind: ManifestEntry['kind'], id: string, group: string): ManifestEntry {
  return {kind, id, group, status: 'ok', durationMs: 1}
}

function capture(hostname: string, files: Record<string, string | Buffer>, commands: Record<string, string>, label?: string): Capture {
  const entries: ManifestEntry[] = [
    ...Object.keys(files).map((p) => entry('file', p, 'test')),
    ...Object.keys(commands).map((id) => ({...entry('command', id, 'test'), argv: [id]})),
  ]
  return {
    manifest: baseManifest({hostname, user: {uid: 1000, root: false}, label, entries}),
    files: new Map(Object.entries(files).map(([p, d]) => [p, Buffer.from(d)])),
    commands: new Map(Object.entries(commands).map(([id, out]) => [id, {stdout: Buffer.from(out), stderr: Buffer.alloc(0)}])),
  }
}

export function l0Capture(): Capture {
  return capture(
    'bigiron7.corp.example.com',
    {
      '/proc/sys/kernel/hostname': 'bigiron7.corp.example.com\n',
      '/proc/cmdline': L0_CMDLINE,
      '/proc/cpuinfo': TECHNICAL.cpuinfo,
      '/proc/version': TECHNICAL.version,
      '/dev/cpu/0/cpuid@leaves': TECHNICAL.cpuidLeaves,
      '/proc/kallsyms': TECHNICAL.kallsyms,
      '/etc/os-release': TECHNICAL.osRelease,
      '/etc/machine-id': '8f1a2b3c4d5e6f708192a3b4c5d6e7f8\n',
      '/etc/modprobe.d/kvm.conf': TECHNICAL.modprobe,
      '/etc/dnsmasq.d/virbr0.conf': TECHNICAL.ranges,
      ...Object.fromEntries(Object.entries(TECHNICAL.kvmParams).map(([k, v]) => [`/sys/module/kvm_intel/parameters/${k}`, v])),
      ...Object.fromEntries(Object.entries(TECHNICAL.haltpoll).map(([k, v]) => [`/sys/module/haltpoll/parameters/${k}`, v])),
      '/sys/module/cpuidle_haltpoll/parameters/force': 'Y\n',
      '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n',
      '/sys/class/dmi/id/product_name': 'PowerEdge R650\n',
      '/sys/class/dmi/id/product_serial': 'PF2XK9QZ77\n',
      '/sys/class/dmi/id/board_serial': 'BRD-77812-XYZ\n',
      '/sys/class/dmi/id/chassis_serial': 'CH123456789\n',
      '/sys/class/dmi/id/product_uuid': '4c4c4544-0051-3510-8052-b4c04f565432\n',
      '/proc/4242/cmdline': `${QEMU_ARGV.join(NUL)}${NUL}`,
      '/proc/4242/environ': `HOME=/home/jdoe${NUL}USER=jdoe${NUL}LANG=C.UTF-8${NUL}`,
      '/var/log/libvirt/qemu/l1.log': LIBVIRT_LOG,
      '/etc/libvirt/qemu/l1.xml': DOMAIN_XML,
      '/home/alice/.cache/libvirt/qemu/log/l1.log': 'session log of alice\n',
    },
    {
      uname: 'Linux bigiron7.corp.example.com 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n',
      dmesg: L0_DMESG,
      'qemu-version': TECHNICAL.qemuVersion,
      dmidecode: 'Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: Dell Inc.\n\tProduct Name: PowerEdge R650\n\tSerial Number: PF2XK9QZ77\n\tUUID: 4c4c4544-0051-3510-8052-b4c04f565432\n',
    },
    'bigiron7 nested test',
  )
}

/** The L1 guest: host name `vm`, a log full of symbols that contain "vm". */
export const L1_KERN_LOG = `Nov 25 10:00:00 vm kernel: [    0.000000] Linux version 6.18.44-fc-v657 (root@buildhost) #1 SMP
Nov 25 10:00:00 vm kernel: [    1.000000] kvm_pvm: loaded, nested_pvm=1
Nov 25 10:00:01 vm kernel: [    2.000000] WARNING: CPU: 0 PID: 1234 at arch/x86/kvm/vmx/nested.c:4567 nested_vmx_vmexit+0x7a/0x90 [kvm_intel]
Nov 25 10:00:01 vm kernel: [    2.000001] RIP: 0010:nested_vmx_vmexit+0x7a/0x90 [kvm_intel]
Nov 25 10:00:01 vm kernel: [    2.000002]  vm_area_alloc+0x1c/0x60
Nov 25 10:00:01 vm kernel: [    2.000003]  svm_vcpu_run+0x40/0x80 [kvm_amd]
Nov 25 10:00:01 vm kernel: [    2.000004] Comm: vm-runner Tainted: G        W  6.18.44-fc-v657
2026-11-25T10:00:02.000000+00:00 vm kernel: kvm: vm 1234 exited, vmx disabled
[    3.000000] vm kernel: journal short-monotonic line
Nov 25 10:00:03 vm sshd[99]: Accepted publickey for root from 10.20.30.40 port 22 ssh2
Nov 25 10:00:04 vm kernel: nfs: server bigiron7.corp.example.com not responding
`

export function l1Capture(): Capture {
  return capture(
    'vm',
    {
      '/proc/sys/kernel/hostname': 'vm\n',
      '/etc/hostname': 'vm\n',
      '/proc/cmdline': 'console=ttyS0 nested_pvm=1 cpuidle_haltpoll.force=1\n',
      '/proc/version': TECHNICAL.version,
      '/var/log/kern.log': L1_KERN_LOG,
      '/sys/module/kvm_pvm/parameters/nested': 'Y\n',
      '/proc/sys/vm/overcommit_memory': '0\n',
      '/var/log/console.log': 'Debian GNU/Linux 12 vm ttyS0\n\nvm login: root\nroot@vm:~# uname -r\n6.18.44-fc-v657\n',
    },
    {
      uname: 'Linux vm 6.18.44-fc-v657 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n',
      hostnamectl: ' Static hostname: vm\n       Icon name: computer-vm\n  Virtualization: kvm\n',
    },
  )
}
