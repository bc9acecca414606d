#!/usr/bin/env node
// Benchmark of the redact stage (run after `npm run build`; `npm run bench -- redact`).
//
// Builds a capture holding the largest logs collect keeps (an 8 MiB dmesg, an 8 MiB kern.log, a
// 2 MiB libvirt QEMU log) with host names, addresses, MACs, UUIDs and inline secrets sprinkled in,
// then times redactCapture() with secrets only and with --redact identity, reporting MB/s and the
// heap growth. Then feeds 1 MiB adversarial texts (repeated fragments that would make a careless
// regex or backward scan quadratic) through redactText and prints the slowest: it must stay in the
// same range as ordinary text. Exports `run()` for bench/run.js.
import {performance} from 'node:perf_hooks'

export const name = 'redact'

const LINES = [
  'usb 1-1: new high-speed USB device number 2 using xhci_hcd',
  'EXT4-fs (vda1): mounted filesystem 3d1c6a1e-1d3f-4f43-9a0e-1b6b9d4f2b7c r/w with ordered data mode.',
  'virbr0: port 1(vnet0) entered forwarding state',
  'dnsmasq-dhcp: DHCPACK(virbr0) 192.168.122.54 52:54:00:12:34:56 guest7',
  'kvm: vcpu 0: requested 40960 ns lapic timer period limited to 200000 ns',
  'WARNING: CPU: 3 PID: 4242 at arch/x86/kvm/vmx/nested.c:4563 nested_vmx_vmexit+0x7d/0x8d0 [kvm_intel]',
  'IPv6: enp1s0: fe80::5054:ff:fe12:3456 tentative',
  'audit: type=1400 audit(1764082587.123:412): apparmor="STATUS" operation="profile_load" name="libvirtd" pid=1234',
  'nfs: server bigiron7.corp.example.com not responding, still trying',
  'Command line: console=ttyS0 password=hunter2 cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=200000',
]

function log(bytes, prefix) {
  const out = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `${prefix(i)}${LINES[i % LINES.length]}\n`
    out.push(line)
    size += line.length
  }
  return Buffer.from(out.join(''))
}

function capture() {
  const stamp = (i) => `[${String(Math.floor(i / 1000)).padStart(5)}.${String(i % 1000).padStart(6, '0')}] `
  const syslog = (i) => `Nov 25 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} vm kernel: `
  return {
    manifest: {format: 'nestreport-capture', formatVersion: 1, producer: {name: 'bench', version: '0'}, source: 'live', startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:00:01Z', hostname: 'vm', arch: 'x86_64', user: {uid: 0, root: true}, timeoutSeconds: 10, entries: []},
    files: new Map([
      ['/proc/sys/kernel/hostname', Buffer.from('vm\n')],
      ['/var/log/kern.log', log(8 * 1024 * 1024, syslog)],
      ['/var/log/libvirt/qemu/l2.log', log(2 * 1024 * 1024, () => '2026-11-25T10:00:00.000000Z qemu-system-x86_64: ')],
    ]),
    commands: new Map([['dmesg', {stdout: log(8 * 1024 * 1024, stamp), stderr: Buffer.alloc(0)}]]),
  }
}

export async function run() {
  const {redactCapture} = await import('../dist/redact/index.js')
  const model = await minimalModel()
  const input = capture()
  const mb = [...input.files.values(), ...[...input.commands.values()].map((c) => c.stdout)].reduce((n, b) => n + b.length, 0) / (1024 * 1024)
  for (const identity of [false, true]) {
    globalThis.gc?.()
    const heap0 = process.memoryUsage().heapUsed
    const t0 = performance.now()
    const result = await redactCapture(input, model, {identity})
    const ms = performance.now() - t0
    const heap = (process.memoryUsage().heapUsed - heap0) / (1024 * 1024)
    console.log(
      `${identity ? 'secrets + identity' : 'secrets only      '}: ${mb.toFixed(1)} MiB in ${ms.toFixed(0)} ms (${(mb / (ms / 1000)).toFixed(1)} MiB/s), heap +${heap.toFixed(0)} MiB, ${result.findings.length} findings`,
    )
  }
  await adversarial()
}

const ADVERSARIAL = {
  colons: ':', hexColons: 'a:', equals: 'password=', quotes: "'", urls: 'http://a:', rbd: 'rbd:x', braces: '{"qom-type":"secret"',
  dots: 'a.', ipv6ish: '1:2:3:4:5:6:7:', syslog: 'Nov 25 10:00:00 ', home: '/home/', singleQuoted: "-spice 'password=",
  unclosedQuote: ' password=x', fwCfg: 'name=opt/x,string=a ', pem: '-----BEGIN PRIVATE KEY-----\n', secretObject: ' secret,data=x ',
  hostnamePosition: 'hostname: ', json: '"a":"', xml: '<password>x', mac: 'aa:', credential: 'systemd.set_credential=a',
}

async function adversarial() {
  const {redactText, IdentityRedactor, IdentityMap, emptyIdentitySeeds} = await import('../dist/redact/index.js')
  const seeds = emptyIdentitySeeds()
  for (const h of ['vm', 'bigiron7.corp.example.com']) seeds.hostnames.add(h)
  seeds.usernames.add('alice')
  const identity = new IdentityRedactor(new IdentityMap(), seeds)
  const times = []
  for (const [name, fragment] of Object.entries(ADVERSARIAL)) {
    const text = `'${fragment.repeat(Math.ceil((1024 * 1024) / fragment.length))}`
    const t0 = performance.now()
    redactText(text, {where: 'bench', identity, findings: []})
    times.push([name, performance.now() - t0])
  }
  times.sort((a, b) => b[1] - a[1])
  console.log(`adversarial 1 MiB inputs (${times.length}): slowest ${times.slice(0, 3).map(([n, ms]) => `${n} ${ms.toFixed(0)} ms`).join(', ')}`)
}

async function minimalModel() {
  const {buildLevelModel} = await import('../dist/parse/index.js')
  return buildLevelModel(capture())
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
