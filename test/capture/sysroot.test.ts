import {execFileSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {captureEntries} from '../../src/capture/layout.js'
import {captureFromSysroot, resolveInRoot} from '../../src/capture/sysroot.js'
import type {Capture} from '../../src/capture/types.js'
import {NestreportError} from '../../src/lib/errors.js'
import {captureOf} from '../helpers/load-capture.js'

let tmp: string
let root: string

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nestreport-sysroot-'))
  root = path.join(tmp, 'root')
  await mkdir(root)
})

afterEach(async () => {
  await rm(tmp, {recursive: true, force: true})
})

async function put(rel: string, content: string): Promise<void> {
  const file = path.join(root, rel)
  await mkdir(path.dirname(file), {recursive: true})
  await writeFile(file, content)
}

describe('captureFromSysroot: plain root filesystem', () => {
  it('reads files under the root at their absolute paths and runs no command', async () => {
    await put('proc/cpuinfo', 'vendor_id\t: GenuineIntel\nflags\t\t: vmx hypervisor\n')
    await put('proc/sys/kernel/hostname', 'l1-guest\n')
    await put('sys/module/kvm_intel/parameters/nested', 'Y\n')
    await put('sys/module/kvm_intel/parameters/ept', 'Y\n')
    const capture = await captureFromSysroot(root, {timeoutSeconds: 5, label: 'ticket-1', levelOverride: 'L1'})
    expect(capture.files.get('/proc/cpuinfo')!.toString()).toContain('vmx hypervisor')
    expect(capture.files.get('/sys/module/kvm_intel/parameters/nested')!.toString()).toBe('Y\n')
    expect(capture.manifest).toMatchObject({source: 'sysroot', hostname: 'l1-guest', label: 'ticket-1', levelOverride: 'L1', timeoutSeconds: 5})
    // No QEMU binary in this root: the versions item says so instead of running anything.
    expect(capture.manifest.entries.find((e) => e.id === 'qemu-version')).toMatchObject({status: 'missing'})
    const commands = capture.manifest.entries.filter((e) => e.kind === 'command' && e.id !== 'qemu-version')
    expect(commands.length).toBeGreaterThan(0)
    for (const c of commands) expect(c).toMatchObject({status: 'skipped', reason: 'offline sysroot: commands are not run'})
    expect(capture.commands.size).toBe(0)
  })

  it('records the architecture of the root from its shell, not of this machine', async () => {
    // An aarch64 ELF header (64-bit, little-endian, e_machine 183) behind the usual /bin -> usr/bin link.
    const header = Buffer.alloc(64)
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header)
    header.writeUInt16LE(183, 18)
    await mkdir(path.join(root, 'usr', 'bin'), {recursive: true})
    await writeFile(path.join(root, 'usr', 'bin', 'sh'), header)
    await symlink('usr/bin', path.join(root, 'bin'))
    await put('proc/cpuinfo', 'vendor_id\t: GenuineIntel\nflags\t\t: fpu lm vmx\n')
    expect((await captureFromSysroot(root, {timeoutSeconds: 5})).manifest.arch).toBe('aarch64')
  })

  it('falls back to the captured cpuinfo, then to unknown', async () => {
    await put('proc/cpuinfo', 'processor\t: 0\nvendor_id\t: IBM/S390\n')
    expect((await captureFromSysroot(root, {timeoutSeconds: 5})).manifest.arch).toBe('s390x')
    await rm(path.join(root, 'proc'), {recursive: true})
    expect((await captureFromSysroot(root, {timeoutSeconds: 5})).manifest.arch).toBe('unknown')
  })

  it('never follows a symlink out of the root', async () => {
    const outside = path.join(tmp, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'secret'), 'host secret\n')
    await put('etc/real-os-release', 'ID=inside\n')
    // Absolute target: means <root>/etc/real-os-release, never the real /etc.
    await mkdir(path.join(root, 'etc'), {recursive: true})
    await symlink('/etc/real-os-release', path.join(root, 'etc/os-release'))
    // Relative target climbing above the root: clamped at the root, so it finds nothing.
    await mkdir(path.join(root, 'proc'), {recursive: true})
    await symlink('../../outside/secret', path.join(root, 'proc/version'))
    // Absolute target naming the outside directory by its real path: resolved inside the root.
    await symlink(path.join(outside, 'secret'), path.join(root, 'proc/cmdline'))
    // A directory link pointing outside.
    await symlink(outside, path.join(root, 'var'))

    const capture = await captureFromSysroot(root, {timeoutSeconds: 5})
    expect(capture.files.get('/etc/os-release')!.toString()).toBe('ID=inside\n')
    for (const p of ['/proc/version', '/proc/cmdline']) {
      expect(capture.files.has(p)).toBe(false)
      expect(capture.manifest.entries.find((e) => e.id === p)).toMatchObject({status: 'missing'})
    }
    for (const data of capture.files.values()) expect(data.toString()).not.toContain('host secret')
    await expect(resolveInRoot(root, '/var/secret')).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('lists QEMU binaries it cannot run, and reads no FIFO or device', async () => {
    await put('usr/bin/qemu-system-x86_64', '#!/bin/sh\n')
    await chmod(path.join(root, 'usr/bin/qemu-system-x86_64'), 0o755)
    await mkdir(path.join(root, 'proc'), {recursive: true})
    execFileSync('mkfifo', [path.join(root, 'proc/cpuinfo')])
    const capture = await captureFromSysroot(root, {timeoutSeconds: 5})
    expect(capture.manifest.entries.find((e) => e.id === 'qemu-version-qemu-system-x86_64')).toMatchObject({
      status: 'skipped',
      argv: ['/usr/bin/qemu-system-x86_64', '--version'],
    })
    expect(capture.manifest.entries.find((e) => e.id === '/proc/cpuinfo')).toMatchObject({status: 'skipped', reason: 'offline sysroot: only regular files are read'})
    expect(capture.manifest.entries.find((e) => e.id === '/dev/cpu/0/cpuid')).toMatchObject({status: 'skipped'})
  })

  it('refuses a missing directory with inputMissing', async () => {
    const error = await captureFromSysroot(path.join(tmp, 'nope'), {timeoutSeconds: 5}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NestreportError)
    expect(error).toMatchObject({code: 'E_INPUT_MISSING'})
  })
})

describe('captureFromSysroot: capture directory', () => {
  const original = (): Capture =>
    captureOf({
      files: {'/proc/cpuinfo': 'flags', '/dev/kvm@stat': 'type=char mode=0660 uid=0 gid=36 rdev=10:232 readable=yes writable=yes\n'},
      commands: {dmesg: '[0.0] Linux'},
      manifest: {source: 'script', hostname: 'l2', timeoutSeconds: 10},
    })

  async function writeCaptureDir(capture: Capture): Promise<void> {
    for (const {name, data} of captureEntries(capture)) {
      await mkdir(path.dirname(path.join(root, name)), {recursive: true})
      await writeFile(path.join(root, name), data)
    }
    await writeFile(path.join(root, 'report.md'), '# old report\n')
  }

  it('loads an extracted capture as it was, with this run’s label and level', async () => {
    await writeCaptureDir(original())
    const capture = await captureFromSysroot(root, {timeoutSeconds: 3, label: 'again', levelOverride: 'L2'})
    expect(capture.manifest).toMatchObject({source: 'script', hostname: 'l2', timeoutSeconds: 10, label: 'again', levelOverride: 'L2'})
    expect(capture.files).toEqual(original().files)
    expect(capture.commands.get('dmesg')!.stdout.toString()).toBe('[0.0] Linux')
  })

  it('ignores symlinks inside a capture directory', async () => {
    await writeCaptureDir(original())
    const outside = path.join(tmp, 'outside-secret')
    await writeFile(outside, 'host secret')
    await symlink(outside, path.join(root, 'root/proc/version'))
    const ignored: string[] = []
    const capture = await captureFromSysroot(root, {timeoutSeconds: 3, onProgress: (m) => ignored.push(m)})
    expect(capture.files.has('/proc/version')).toBe(false)
    expect(ignored).toContain('ignored root/proc/version: not a regular file')
  })

  it('refuses a capture directory beyond the archive limits before reading it in', async () => {
    await writeCaptureDir(original())
    const refused = (limits: Parameters<typeof captureFromSysroot>[2]) => captureFromSysroot(root, {timeoutSeconds: 3}, limits).catch((e: unknown) => e)
    const big = await refused({maxEntryBytes: 64})
    expect(big).toBeInstanceOf(NestreportError)
    expect(big).toMatchObject({code: 'E_OVERSIZE', exitCode: 17})
    expect((big as Error).message).toMatch(/ is larger than 64 bytes$/)
    expect(await refused({maxTotalBytes: 700})).toMatchObject({code: 'E_OVERSIZE', message: expect.stringMatching(/holds more than 700 bytes/)})
    expect(await refused({maxEntries: 3})).toMatchObject({code: 'E_OVERSIZE', message: expect.stringMatching(/more than 3 entries/)})
    // Within the limits it loads.
    expect((await captureFromSysroot(root, {timeoutSeconds: 3}, {maxEntries: 50})).files).toEqual(original().files)
  })

  it('reads a capture archive (.tar.gz, as the capture script writes) without extracting it', async () => {
    await writeCaptureDir(original())
    const archive = path.join(tmp, 'nestreport-L2-l2-20261125T000000Z.tar.gz')
    execFileSync('tar', ['czf', archive, '-C', tmp, '--transform', 's,^root,nestreport-L2-l2-20261125T000000Z,', 'root'])
    const before = readdirSync(tmp).sort()
    const capture = await captureFromSysroot(archive, {timeoutSeconds: 3, levelOverride: 'L2'})
    expect(capture.manifest).toMatchObject({source: 'script', hostname: 'l2', levelOverride: 'L2'})
    expect(capture.files).toEqual(original().files)
    expect(readdirSync(tmp).sort()).toEqual(before)
  })

  it('refuses an archive that is not a capture with the archive error', async () => {
    const notArchive = path.join(tmp, 'notes.tar.gz')
    await writeFile(notArchive, 'just text\n')
    await expect(captureFromSysroot(notArchive, {timeoutSeconds: 3})).rejects.toMatchObject({code: 'E_NOT_AN_ARCHIVE'})
  })

  it('refuses a manifest that is not a capture manifest', async () => {
    await writeFile(path.join(root, 'manifest.json'), '{"format": "something-else"}')
    await expect(captureFromSysroot(root, {timeoutSeconds: 3})).rejects.toMatchObject({code: 'E_MALFORMED'})
  })
})
