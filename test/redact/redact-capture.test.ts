import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {captureEntries} from '../../src/capture/layout.js'
import type {Capture} from '../../src/capture/types.js'
import {LevelModel} from '../../src/model/level.js'
import {collectIdentitySeeds, redactCapture, redactLevels, SECRET_MARKER} from '../../src/redact/index.js'
import {renderLevelReport} from '../../src/render/level.js'
import {pvmL1Model} from '../helpers/level-model.js'
import {L0_CMDLINE, L0_DMESG, L0_IDENTITY, l0Capture, l1Capture, LIBVIRT_LOG, QEMU_ARGV, SECRETS, TECHNICAL} from './corpus.js'

/** A model that repeats the corpus' secrets and identities in the fields a parser would fill. */
function plantedModel(): LevelModel {
  const model = pvmL1Model()
  model.kernel.hostname = {value: 'bigiron7.corp.example.com', source: '/proc/sys/kernel/hostname'}
  model.kernel.cmdline = {value: L0_CMDLINE.trim(), source: '/proc/cmdline'}
  model.capture.label = 'bigiron7 nested test'
  model.virt.dmi = {product_serial: 'PF2XK9QZ77', board_serial: 'BRD-77812-XYZ', product_uuid: '4c4c4544-0051-3510-8052-b4c04f565432', sys_vendor: 'Dell Inc.'}
  model.qemu.processes[0].argv = [...QEMU_ARGV]
  model.libvirt.domains[0].lastCommandLine = LIBVIRT_LOG.split('\n').slice(7, 20)
  model.libvirt.domains[0].logFile = '/home/alice/.cache/libvirt/qemu/log/l1.log'
  model.kernelLog.kvmMessages.push({line: 10, pattern: 'x', severity: 'info', text: L0_DMESG.split('\n')[9], source: 'command:dmesg'})
  model.redaction = null
  return model
}

/** Every byte a bundle of this capture would hold, as text, entry by entry. */
function bundleTexts(capture: Capture, model: LevelModel): Map<string, string> {
  const texts = new Map<string, string>()
  for (const {name, data} of captureEntries(capture)) texts.set(name, data.toString('latin1'))
  texts.set('report.json', JSON.stringify(model))
  texts.set('report.md', renderLevelReport(model, 'md'))
  texts.set('report.txt', renderLevelReport(model, 'text'))
  return texts
}

function leaks(texts: Map<string, string>, values: readonly string[]): string[] {
  const found: string[] = []
  for (const [name, text] of texts) for (const v of values) if (text.toLowerCase().includes(v.toLowerCase())) found.push(`${v} in ${name}`)
  return found
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestreport-redact-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('redactCapture without --redact', () => {
  it('leaves no planted secret in any file, the manifest, report.json or the rendered reports', async () => {
    const before = bundleTexts(l0Capture(), plantedModel())
    expect(leaks(before, SECRETS).length).toBeGreaterThan(20) // the corpus really plants them
    const {capture, model} = await redactCapture(l0Capture(), plantedModel(), {identity: false})
    expect(leaks(bundleTexts(capture, model), SECRETS)).toEqual([])
  })

  it('says what was removed and where, never the value, and that identity was not redacted', async () => {
    const {model} = await redactCapture(l0Capture(), plantedModel(), {identity: false})
    expect(model.redaction?.identityRedacted).toBe(false)
    const removed = model.redaction?.secretsRemoved ?? []
    expect(removed).toEqual(
      expect.arrayContaining([
        {where: '/proc/4242/cmdline', what: 'QEMU -object secret data='},
        {where: '/var/log/libvirt/qemu/l1.log', what: 'QEMU -object secret "data" (JSON)'},
        {where: '/etc/libvirt/qemu/l1.xml', what: 'passwd='},
        {where: '/proc/cmdline', what: 'password='},
        {where: 'command:dmesg', what: 'token='},
      ]),
    )
    expect(leaks(new Map([['redaction', JSON.stringify(removed)]]), SECRETS)).toEqual([])
    const md = renderLevelReport(model, 'md')
    expect(md).toContain('QEMU -object secret data=')
    expect(md).toMatch(/--redact was not used/)
  })

  it('keeps identity as it was (that is what --redact is for)', async () => {
    const {capture} = await redactCapture(l0Capture(), plantedModel(), {identity: false})
    expect(capture.files.get('/proc/sys/kernel/hostname')?.toString()).toBe('bigiron7.corp.example.com\n')
  })
})

describe('redactCapture with --redact', () => {
  it('leaves no planted secret or identity anywhere, file names included', async () => {
    const before = bundleTexts(l0Capture(), plantedModel())
    expect(leaks(before, L0_IDENTITY).length).toBeGreaterThan(L0_IDENTITY.length)
    const {capture, model} = await redactCapture(l0Capture(), plantedModel(), {identity: true})
    const after = bundleTexts(capture, model)
    expect(leaks(after, [...SECRETS, ...L0_IDENTITY])).toEqual([])
    expect(model.redaction?.identityRedacted).toBe(true)
    expect([...capture.files.keys()]).toContain('/home/user1/.cache/libvirt/qemu/log/l1.log')
    expect(capture.manifest.hostname).toBe('host1.domain1.example')
    expect(LevelModel.safeParse(model).success).toBe(true)
  })

  it('leaves technical files byte-identical (cpuinfo, cpuid leaves, kallsyms, versions, module parameters, modprobe)', async () => {
    const original = l0Capture()
    const {capture} = await redactCapture(l0Capture(), plantedModel(), {identity: true})
    for (const path of ['/proc/cpuinfo', '/dev/cpu/0/cpuid@leaves', '/proc/kallsyms', '/proc/version', '/etc/os-release', '/etc/modprobe.d/kvm.conf']) {
      expect(capture.files.get(path)?.equals(original.files.get(path)!), path).toBe(true)
    }
    for (const [path, data] of original.files) {
      if (path.startsWith('/sys/module/')) expect(capture.files.get(path)?.equals(data), path).toBe(true)
    }
    expect(capture.commands.get('qemu-version')?.stdout.toString()).toBe(TECHNICAL.qemuVersion)
    const cmdline = capture.files.get('/proc/cmdline')!.toString()
    for (const keep of ['kvm_intel.nested=1', 'cpuidle_haltpoll.force=1', 'haltpoll.guest_halt_poll_ns=200000', 'BOOT_IMAGE=/vmlinuz-6.18.44-fc-v657']) {
      expect(cmdline).toContain(keep)
    }
    // Ranges and CIDRs stay coherent: both ends and the route share one pseudonym network.
    const ranges = capture.files.get('/etc/dnsmasq.d/virbr0.conf')!.toString()
    const range = /dhcp-range=(\d+\.\d+\.\d+)\.2,(\d+\.\d+\.\d+)\.254/.exec(ranges)
    expect(range?.[1]).toBe(range?.[2])
    const route = /route (\d+\.\d+\.\d+)\.0\/24 via (\d+\.\d+\.\d+)\.1/.exec(ranges)
    expect(route?.[1]).toBe(route?.[2])
  })

  it('replaces the short host name vm where it stands as a host name, and nowhere else', async () => {
    const {capture} = await redactCapture(l1Capture(), pvmL1Model(), {identity: true})
    const files = bundleTexts(capture, pvmL1Model())
    const all = [...files.values()].join('\n')
    expect(capture.files.get('/proc/sys/kernel/hostname')?.toString()).toBe('host1\n')
    expect(all).not.toMatch(/hostname: vm\b|\bvm login:|^\w{3} \d+ [\d:]+ vm |@vm\b|^Linux vm /m)
    const kern = capture.files.get('/var/log/kern.log')!.toString()
    expect(kern).toContain('Nov 25 10:00:00 host1 kernel: [    1.000000] kvm_pvm: loaded, nested_pvm=1')
    for (const keep of ['nested_vmx_vmexit+0x7a/0x90 [kvm_intel]', 'vm_area_alloc+0x1c/0x60', 'svm_vcpu_run', 'Comm: vm-runner', 'kvm: vm 1234 exited, vmx disabled', 'arch/x86/kvm/vmx/nested.c']) {
      expect(kern).toContain(keep)
    }
    expect(capture.files.has('/proc/sys/vm/overcommit_memory')).toBe(true)
  })

  it('a host called kvm keeps KVM as DMI vendor, module name and hypervisor evidence', async () => {
    const capture = l1Capture()
    capture.manifest.hostname = 'kvm'
    capture.files.set('/proc/sys/kernel/hostname', Buffer.from('kvm\n'))
    capture.files.delete('/etc/hostname')
    capture.files.set('/sys/class/dmi/id/sys_vendor', Buffer.from('KVM\n'))
    capture.commands.set('uname', {stdout: Buffer.from('Linux kvm 6.18.44-fc-v657 #1 SMP x86_64 GNU/Linux\n'), stderr: Buffer.alloc(0)})
    const model = pvmL1Model()
    model.kernel.hostname = {value: 'kvm', source: '/proc/sys/kernel/hostname'}
    model.virt.dmi = {sys_vendor: 'KVM', product_name: 'KVM'}
    const before = JSON.stringify({kvm: model.kvm, virt: model.virt.evidence, hypervisor: model.virt.hypervisor})
    const redacted = await redactCapture(capture, model, {identity: true})
    expect(redacted.capture.files.get('/proc/sys/kernel/hostname')?.toString()).toBe('host1\n')
    expect(redacted.capture.commands.get('uname')?.stdout.toString()).toBe('Linux host1 6.18.44-fc-v657 #1 SMP x86_64 GNU/Linux\n')
    expect(redacted.capture.files.get('/sys/class/dmi/id/sys_vendor')?.toString()).toBe('KVM\n')
    expect(redacted.model.virt.dmi).toEqual({sys_vendor: 'KVM', product_name: 'KVM'})
    expect(redacted.model.kernel.hostname.value).toBe('host1')
    expect(JSON.stringify({kvm: redacted.model.kvm, virt: redacted.model.virt.evidence, hypervisor: redacted.model.virt.hypervisor})).toBe(before)
  })

  it('gives the same pseudonyms across the bundles of one setup through the map file, kept private (0600)', async () => {
    const mapFile = join(dir, 'setup.map.json')
    const l0 = await redactCapture(l0Capture(), plantedModel(), {identity: true, mapFile})
    expect((await stat(mapFile)).mode & 0o777).toBe(0o600)
    const l1 = await redactCapture(l1Capture(), pvmL1Model(), {identity: true, mapFile})
    const l1Kern = l1.capture.files.get('/var/log/kern.log')!.toString()
    const l0Hostname = l0.capture.files.get('/proc/sys/kernel/hostname')!.toString().trim()
    // L1's log mentions L0 by name and address: the map hides both, with L0's own pseudonyms.
    expect(l1Kern).toContain(`nfs: server ${l0Hostname} not responding`)
    const l0Address = /tcp:([\d.]+):4444/.exec(l0.capture.files.get('/proc/4242/cmdline')!.toString())![1]
    expect(l1Kern).toContain(`from ${l0Address} port 22`)
    expect(leaks(bundleTexts(l1.capture, l1.model), L0_IDENTITY)).toEqual([])
    // L1's own name gets a pseudonym of its own.
    const l1Hostname = l1.capture.files.get('/proc/sys/kernel/hostname')!.toString().trim()
    expect(l1Hostname).toMatch(/^host\d+$/)
    expect(l1Hostname).not.toBe(l0Hostname.split('.')[0])

    const map = JSON.parse(await readFile(mapFile, 'utf8'))
    expect(map.tables.hostnames).toMatchObject({bigiron7: 'host1', vm: l1Hostname})
    // Reusing the map gives identical output.
    const again = await redactCapture(l0Capture(), plantedModel(), {identity: true, mapFile})
    expect(bundleTexts(again.capture, again.model)).toEqual(bundleTexts(l0.capture, l0.model))
  })

  it('hides the other levels even when a level is redacted first, given their seeds', async () => {
    const l1 = await redactCapture(l1Capture(), pvmL1Model(), {identity: true, seeds: collectIdentitySeeds(l0Capture())})
    expect(leaks(bundleTexts(l1.capture, l1.model), ['bigiron7', 'corp.example.com', '10.20.30.40'])).toEqual([])
  })

  it('redactLevels: the levels of one setup together, in any order, one map saved once', async () => {
    const mapFile = join(dir, 'levels.json')
    const [l1, l0] = await redactLevels(
      [
        {level: 'L1', capture: l1Capture(), model: pvmL1Model()},
        {level: 'L0', capture: l0Capture(), model: plantedModel()},
      ],
      {identity: true, mapFile},
    )
    expect(l1.level).toBe('L1')
    expect(leaks(bundleTexts(l1.capture, l1.model), [...SECRETS, ...L0_IDENTITY])).toEqual([])
    expect(leaks(bundleTexts(l0.capture, l0.model), [...SECRETS, ...L0_IDENTITY])).toEqual([])
    const l0Name = l0.capture.files.get('/proc/sys/kernel/hostname')!.toString().trim()
    expect(l1.capture.files.get('/var/log/kern.log')!.toString()).toContain(`nfs: server ${l0Name} not responding`)
    expect(JSON.parse(await readFile(mapFile, 'utf8')).tables.hostnames.vm).toBe(l1.capture.files.get('/etc/hostname')!.toString().trim())
  })

  it('is idempotent even without the map: pseudonyms are recognised by their shape', async () => {
    const once = await redactCapture(l0Capture(), plantedModel(), {identity: true})
    const twice = await redactCapture(once.capture, once.model, {identity: true})
    expect(bundleTexts(twice.capture, twice.model)).toEqual(bundleTexts(once.capture, once.model))
  })

  it('is idempotent: redacting a redacted capture with its map changes nothing', async () => {
    const mapFile = join(dir, 'map.json')
    const once = await redactCapture(l0Capture(), plantedModel(), {identity: true, mapFile})
    const twice = await redactCapture(once.capture, once.model, {identity: true, mapFile})
    expect(bundleTexts(twice.capture, twice.model)).toEqual(bundleTexts(once.capture, once.model))
    expect(once.capture.files.get('/proc/cmdline')!.toString()).toContain(`password=${SECRET_MARKER}`)
  })
})
