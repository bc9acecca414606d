import {describe, expect, it} from 'vitest'

import type {SpecItem} from '../../src/capture/spec.js'
import type {ManifestEntry} from '../../src/capture/types.js'
import {parseCpuidLeaves, parseKeyValues} from '../../src/capture/view.js'
import {walkSpec} from '../../src/capture/walk.js'
import {abandonedOperations} from '../../src/capture/walk-context.js'
import {FakeHost} from './fake-host.js'

const why = 'test'
const entry = (entries: ManifestEntry[], id: string) => entries.find((e) => e.id === id)

describe('walkSpec: files', () => {
  it('keeps the tail of an oversize file and marks it truncated', async () => {
    const log = Array.from({length: 100}, (_, i) => `line ${i}\n`).join('')
    const host = new FakeHost({'/var/log/kern.log': log})
    const spec: SpecItem[] = [{kind: 'file', path: '/var/log/kern.log', group: 'kernel-log', maxBytes: 20, why}]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(r.files.get('/var/log/kern.log')!.toString()).toBe(log.slice(-20))
    expect(r.entries[0]).toMatchObject({status: 'ok', truncated: true, bytes: 20, stored: 'root/var/log/kern.log'})
  })

  it('maps absent and unreadable files to missing and permission-denied, and follows symlinks', async () => {
    const host = new FakeHost({
      '/etc/shadowish': {type: 'error', code: 'EACCES'},
      '/usr/lib/os-release': 'ID=debian\n',
      '/etc/os-release': {type: 'link', target: '../usr/lib/os-release'},
    })
    const spec: SpecItem[] = [
      {kind: 'file', path: '/proc/sysinfo', group: 'cpu', why},
      {kind: 'file', path: '/etc/shadowish', group: 'x', why},
      {kind: 'file', path: '/etc/os-release', group: 'kernel', why},
    ]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(r.entries.map((e) => e.status)).toEqual(['missing', 'permission-denied', 'ok'])
    expect(r.entries[1].reason).toMatch(/permission denied/)
    expect(r.files.get('/etc/os-release')!.toString()).toBe('ID=debian\n')
    for (const e of r.entries) {
      expect(e.durationMs).toBeGreaterThanOrEqual(0)
      expect(e.bytes).toBeTypeOf('number')
    }
  })

  it('gives up on a file read that never answers, and counts it as abandoned', async () => {
    const host = new FakeHost({'/sys/hung': 'x', '/proc/version': 'Linux\n'})
    const readFile = host.readFile.bind(host)
    let release: () => void = () => {}
    host.readFile = (path, max) => (path === '/sys/hung' ? new Promise((resolve) => (release = () => resolve({data: Buffer.from('late'), truncated: false}))) : readFile(path, max))
    const spec: SpecItem[] = [
      {kind: 'file', path: '/sys/hung', group: 'g', why},
      {kind: 'file', path: '/proc/version', group: 'g', why},
    ]
    const r = await walkSpec(host, {timeoutSeconds: 0.2, spec})
    expect(r.entries[0]).toMatchObject({status: 'timed-out'})
    expect(r.entries[0].reason).toMatch(/no answer after 0.2s/)
    expect(r.entries[1]).toMatchObject({status: 'ok'})
    expect(r.files.has('/sys/hung')).toBe(false)
    expect(abandonedOperations()).toBe(1)
    release()
    await new Promise((resolve) => setImmediate(resolve))
    expect(abandonedOperations()).toBe(0)
  })

  it('keeps spec order in the manifest whatever order the work finished in', async () => {
    const host = new FakeHost({'/a': 'a', '/b': 'b'}).script('slow', {stdout: 'x', durationMs: 5})
    const spec: SpecItem[] = [
      {kind: 'command', id: 'slow', argv: ['slow'], group: 'g', why},
      {kind: 'file', path: '/b', group: 'g', why},
      {kind: 'file', path: '/a', group: 'g', why},
    ]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(r.entries.map((e) => e.id)).toEqual(['slow', '/b', '/a'])
  })
})

describe('walkSpec: globs', () => {
  const tree = () => {
    const host = new FakeHost()
    for (const name of ['c', 'a', 'e', 'b', 'd']) host.add(`/sys/module/kvm_x/parameters/${name}`, `${name}\n`)
    host.add('/sys/module/kvm/parameters/nested', 'Y\n')
    host.add('/sys/module/kvm/parameters/.hidden', 'no\n')
    host.add('/sys/module/kvm/parameters/subdir', {type: 'dir'})
    host.add('/sys/module/kvm/parameters/subdir/deep', 'no\n')
    host.add('/sys/module/other/parameters/p', 'no\n')
    return host
  }

  it('matches * within path components only, files only, sorted', async () => {
    const spec: SpecItem[] = [{kind: 'glob', pattern: '/sys/module/kvm*/parameters/*', group: 'kvm', why}]
    const r = await walkSpec(tree(), {timeoutSeconds: 5, spec})
    expect(r.entries.map((e) => e.id)).toEqual([
      '/sys/module/kvm/parameters/nested',
      ...['a', 'b', 'c', 'd', 'e'].map((n) => `/sys/module/kvm_x/parameters/${n}`),
    ])
    expect(r.files.get('/sys/module/kvm/parameters/nested')!.toString()).toBe('Y\n')
  })

  it('caps matches at maxFiles and says how many were left out', async () => {
    const spec: SpecItem[] = [{kind: 'glob', pattern: '/sys/module/kvm_x/parameters/*', group: 'kvm', maxFiles: 3, why}]
    const r = await walkSpec(tree(), {timeoutSeconds: 5, spec})
    expect(r.entries.filter((e) => e.status === 'ok').map((e) => e.id.slice(-1))).toEqual(['a', 'b', 'c'])
    expect(r.entries.at(-1)).toMatchObject({status: 'skipped', id: '/sys/module/kvm_x/parameters/*'})
    expect(r.entries.at(-1)!.reason).toMatch(/^2 more files/)
  })

  it('reports a directory it may not list, but not an absent one', async () => {
    const host = new FakeHost({'/etc/libvirt/qemu': {type: 'error', code: 'EACCES'}})
    const spec: SpecItem[] = [
      {kind: 'glob', pattern: '/etc/libvirt/qemu/*.xml', group: 'libvirt', why},
      {kind: 'glob', pattern: '/run/libvirt/qemu/*.xml', group: 'libvirt', why},
    ]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(r.entries).toHaveLength(1)
    expect(r.entries[0]).toMatchObject({id: '/etc/libvirt/qemu', status: 'permission-denied'})
  })
})

describe('walkSpec: commands', () => {
  it('kills a hanging command at the timeout and keeps its partial output', async () => {
    const host = new FakeHost()
    const spec: SpecItem[] = [
      {kind: 'command', id: 'hang', argv: ['sh', '-c', 'echo partial; exec sleep 30'], group: 'g', why},
      // Ignores SIGTERM and leaves a grandchild holding the pipe: only the group SIGKILL ends it.
      {kind: 'command', id: 'stubborn', argv: ['sh', '-c', 'trap "" TERM; sleep 30 & echo started; wait'], group: 'g', why},
    ]
    const started = performance.now()
    const r = await walkSpec(host, {timeoutSeconds: 0.3, spec})
    expect(performance.now() - started).toBeLessThan(5000)
    for (const id of ['hang', 'stubborn']) {
      expect(entry(r.entries, id)).toMatchObject({status: 'timed-out'})
      expect(entry(r.entries, id)!.reason).toMatch(/timed out after 0.3s/)
    }
    expect(r.commands.get('hang')!.stdout.toString()).toBe('partial\n')
    expect(r.commands.get('stubborn')!.stdout.toString()).toBe('started\n')
  })

  it('keeps the tail of a command output beyond its cap', async () => {
    const spec: SpecItem[] = [{kind: 'command', id: 'chatty', argv: ['seq', '1', '200000'], maxBytes: 14, group: 'g', why}]
    const r = await walkSpec(new FakeHost(), {timeoutSeconds: 10, spec})
    expect(r.commands.get('chatty')!.stdout.toString()).toBe('199999\n200000\n')
    expect(r.entries[0]).toMatchObject({status: 'ok', truncated: true, bytes: 14})
  })

  it('records a command that is not installed as missing, with no output stored', async () => {
    const spec: SpecItem[] = [
      {kind: 'command', id: 'nope', argv: ['nestreport-test-no-such-command'], group: 'g', why},
      {kind: 'command', id: 'shell127', argv: ['sh', '-c', 'exit 127'], group: 'g', why},
      {kind: 'command', id: 'fails', argv: ['sh', '-c', 'echo bad thing >&2; exit 3'], group: 'g', why},
    ]
    const r = await walkSpec(new FakeHost(), {timeoutSeconds: 5, spec})
    expect(entry(r.entries, 'nope')).toMatchObject({status: 'missing', reason: 'not installed', exitCode: null})
    expect(entry(r.entries, 'shell127')).toMatchObject({status: 'missing', exitCode: 127})
    expect(entry(r.entries, 'fails')).toMatchObject({status: 'failed', exitCode: 3, reason: 'bad thing', stored: 'commands/fails.out'})
    expect(r.commands.has('nope')).toBe(false)
    expect(r.commands.get('fails')!.stderr.toString()).toBe('bad thing\n')
  })

  it('skips needsRoot commands when not root and runs them as root', async () => {
    const spec: SpecItem[] = [{kind: 'command', id: 'dmidecode', argv: ['dmidecode'], needsRoot: true, group: 'virt', why}]
    const user = new FakeHost().script('dmidecode', {stdout: 'SMBIOS'})
    const asUser = await walkSpec(user, {timeoutSeconds: 5, spec})
    expect(asUser.entries[0]).toMatchObject({status: 'skipped', reason: 'needs root'})
    expect(user.runs).toEqual([])
    const root = new FakeHost().script('dmidecode', {stdout: 'SMBIOS'})
    root.user = {uid: 0, root: true}
    const asRoot = await walkSpec(root, {timeoutSeconds: 5, spec})
    expect(asRoot.entries[0]).toMatchObject({status: 'ok', bytes: 6})
  })

  const logSpec: SpecItem[] = [
    {kind: 'command', id: 'journal', argv: ['journalctl', '-k'], fallbackFor: 'dmesg', group: 'kernel-log', why},
    {kind: 'command', id: 'dmesg', argv: ['dmesg'], group: 'kernel-log', why},
  ]

  it('runs a fallback only when its primary gave nothing usable', async () => {
    const good = new FakeHost().script('dmesg', {stdout: '[0.0] Linux version\n'}).script('journalctl -k', {stdout: 'journal'})
    const r1 = await walkSpec(good, {timeoutSeconds: 5, spec: logSpec})
    expect(entry(r1.entries, 'journal')).toMatchObject({status: 'skipped', reason: 'not needed: dmesg succeeded'})
    expect(good.runs).toEqual([['dmesg']])

    const empty = new FakeHost().script('dmesg', {stdout: ''}).script('journalctl -k', {stdout: 'journal'})
    const r2 = await walkSpec(empty, {timeoutSeconds: 5, spec: logSpec})
    expect(entry(r2.entries, 'journal')).toMatchObject({status: 'ok'})
  })

  it('explains a restricted dmesg as permission denied by dmesg_restrict', async () => {
    const host = new FakeHost()
      .script('dmesg', {exitCode: 1, stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n'})
      .script('journalctl -k', {stdout: 'kernel: hello'})
    const r = await walkSpec(host, {timeoutSeconds: 5, spec: logSpec})
    expect(entry(r.entries, 'dmesg')).toMatchObject({status: 'permission-denied', exitCode: 1})
    expect(entry(r.entries, 'dmesg')!.reason).toMatch(/dmesg_restrict/)
    expect(entry(r.entries, 'journal')).toMatchObject({status: 'ok'})
  })

  it('skips every command on a host that cannot run them', async () => {
    const host = new FakeHost()
    host.commandsUnavailable = 'offline sysroot: commands are not run'
    const r = await walkSpec(host, {timeoutSeconds: 5, spec: logSpec})
    expect(r.entries.map((e) => [e.status, e.reason])).toEqual([
      ['skipped', 'offline sysroot: commands are not run'],
      ['skipped', 'offline sysroot: commands are not run'],
    ])
    expect(host.runs).toEqual([])
  })
})

describe('walkSpec: derived records', () => {
  it('writes a @stat record for a device node', async () => {
    const host = new FakeHost({'/dev/kvm': {type: 'char', rdev: (10 << 8) | 232, mode: 0o660}})
    const r = await walkSpec(host, {timeoutSeconds: 5, spec: [{kind: 'stat', path: '/dev/kvm', group: 'kvm', why}]})
    expect(parseKeyValues(r.files.get('/dev/kvm@stat')!.toString())).toEqual({
      type: 'char',
      mode: '0660',
      uid: '0',
      gid: '36',
      rdev: '10:232',
      readable: 'no',
      writable: 'no',
    })
    expect(r.entries[0]).toMatchObject({kind: 'stat', status: 'ok', stored: 'root/dev/kvm@stat'})
  })

  it('reads CPUID leaves at leaf + subleaf * 2^32 and records them', async () => {
    const host = new FakeHost({'/dev/cpu/0/cpuid': {type: 'char', rdev: 0, mode: 0o600}})
    const block = (...words: number[]) => Buffer.from(new Uint32Array(words).buffer)
    host.cpuid = new Map([
      [0x4000_0000n, block(0x4000_0001, 0x4b4d564b, 0x564b4d56, 0x4d)],
      [0x7n + 2n ** 32n, block(1, 2, 3, 4)],
    ])
    const spec: SpecItem[] = [{kind: 'cpuid', path: '/dev/cpu/0/cpuid', leaves: [[0x4000_0000, 0], [0x7, 1], [0x8000_0000, 0]], group: 'cpu', why}]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(parseCpuidLeaves(r.files.get('/dev/cpu/0/cpuid@leaves')!.toString())).toEqual([
      {leaf: 0x4000_0000, subleaf: 0, eax: 0x4000_0001, ebx: 0x4b4d564b, ecx: 0x564b4d56, edx: 0x4d},
      {leaf: 7, subleaf: 1, eax: 1, ebx: 2, ecx: 3, edx: 4},
    ])
  })

  it('says why CPUID was not read when the driver is absent or closed', async () => {
    const spec: SpecItem[] = [{kind: 'cpuid', path: '/dev/cpu/0/cpuid', leaves: [[0, 0]], group: 'cpu', why}]
    const absent = await walkSpec(new FakeHost(), {timeoutSeconds: 5, spec})
    expect(absent.entries[0]).toMatchObject({status: 'missing'})
    expect(absent.entries[0].reason).toMatch(/cpuid driver/)
    const closed = await walkSpec(new FakeHost({'/dev/cpu/0/cpuid': {type: 'error', code: 'EACCES'}}), {timeoutSeconds: 5, spec})
    expect(closed.entries[0]).toMatchObject({status: 'permission-denied', reason: '/dev/cpu/0/cpuid needs root'})
  })
})

describe('walkSpec: QEMU processes and binaries', () => {
  const procSpec: SpecItem[] = [
    {kind: 'processes', exeNames: /^(qemu-system-.+|qemu-kvm|kvm)$/, exeGlobs: [], maxProcesses: 2, group: 'qemu', why},
  ]

  const fakeProc = () => {
    const host = new FakeHost({
      '/proc/1/exe': {type: 'link', target: '/sbin/init'},
      '/proc/42/exe': {type: 'link', target: '/usr/bin/qemu-system-x86_64 (deleted)'},
      '/proc/42/cmdline': 'qemu-system-x86_64\0-accel\0kvm\0',
      '/proc/42/comm': 'qemu-system-x86\n',
      '/proc/42/status': 'Name:\tqemu-system-x86\n',
      '/proc/42/fd/0': {type: 'link', target: '/dev/null'},
      '/proc/42/fd/10': {type: 'link', target: '/dev/kvm'},
      '/proc/42/fd/2': {type: 'link', target: 'anon_inode:kvm-vm'},
      '/proc/42/task/42/comm': 'qemu-system-x86\n',
      '/proc/42/task/45/comm': 'CPU 0/KVM\n',
      // exe unreadable (another user's process): argv[0] decides.
      '/proc/100/exe': {type: 'error', code: 'EACCES'},
      '/proc/100/cmdline': ['/usr/libexec/qemu-kvm', '-m', '512', ''].join('\0'),
      '/proc/100/comm': 'qemu-kvm\n',
      '/proc/100/status': 'Name:\tqemu-kvm\n',
      '/proc/100/fd': {type: 'error', code: 'EACCES'},
      '/proc/100/task/100/comm': 'qemu-kvm\n',
      '/proc/7000/exe': {type: 'link', target: '/usr/bin/qemu-system-aarch64'},
      '/proc/self': {type: 'link', target: '1'},
    })
    return host
  }

  it('captures matching processes (deleted exe, argv[0] fallback) up to the cap', async () => {
    const r = await walkSpec(fakeProc(), {timeoutSeconds: 5, spec: procSpec})
    expect(r.files.get('/proc/42/cmdline')!.toString()).toBe('qemu-system-x86_64\0-accel\0kvm\0')
    expect(r.files.get('/proc/42/fd@links')!.toString()).toBe('0 -> /dev/null\n2 -> anon_inode:kvm-vm\n10 -> /dev/kvm\n')
    expect(r.files.get('/proc/42@links')!.toString()).toBe('exe -> /usr/bin/qemu-system-x86_64 (deleted)\n')
    expect(r.files.get('/proc/42/task/45/comm')!.toString()).toBe('CPU 0/KVM\n')
    expect(r.files.get('/proc/100/comm')!.toString()).toBe('qemu-kvm\n')
    expect(entry(r.entries, '/proc/100/fd')).toMatchObject({kind: 'links', status: 'permission-denied'})
    expect(entry(r.entries, '/proc/100')).toMatchObject({kind: 'links', status: 'permission-denied'})
    expect([...r.files.keys()].some((p) => p.startsWith('/proc/7000') || p.startsWith('/proc/1/'))).toBe(false)
    expect(r.entries.at(-1)).toMatchObject({status: 'skipped', reason: '1 more QEMU processes not captured (cap of 2)'})
  })

  it('runs --version once per real binary, named after its real name, with the path in argv', async () => {
    const host = new FakeHost({
      '/usr/bin/kvm': {type: 'link', target: 'qemu-system-x86_64'},
      '/usr/bin/qemu-system-x86_64': {type: 'file', data: Buffer.from('ELF'), mode: 0o755},
      '/usr/bin/qemu-system-notexec': {type: 'file', data: Buffer.from('ELF'), mode: 0o644},
      '/usr/libexec/qemu-kvm': {type: 'file', data: Buffer.from('ELF'), mode: 0o755},
    })
      .script('/usr/bin/qemu-system-x86_64 --version', {stdout: 'QEMU emulator version 8.2.2\n'})
      .script('/usr/libexec/qemu-kvm --version', {stdout: 'QEMU emulator version 9.0.0\n'})
    const spec: SpecItem[] = [{kind: 'versions', id: 'qemu', names: ['qemu-kvm', 'kvm'], globs: ['qemu-system-*'], extraDirs: ['/usr/libexec'], group: 'qemu', why}]
    const r = await walkSpec(host, {timeoutSeconds: 5, spec})
    expect(r.entries.map((e) => [e.id, e.argv, e.status])).toEqual([
      ['qemu-version-qemu-system-x86_64', ['/usr/bin/qemu-system-x86_64', '--version'], 'ok'],
      ['qemu-version-qemu-kvm', ['/usr/libexec/qemu-kvm', '--version'], 'ok'],
    ])
    expect(r.commands.get('qemu-version-qemu-kvm')!.stdout.toString()).toContain('9.0.0')
  })

  it('says QEMU is not installed when no binary matches', async () => {
    const spec: SpecItem[] = [{kind: 'versions', id: 'qemu', names: ['kvm'], globs: ['qemu-system-*'], extraDirs: [], group: 'qemu', why}]
    const r = await walkSpec(new FakeHost({'/usr/bin/ls': 'x'}), {timeoutSeconds: 5, spec})
    expect(r.entries).toEqual([expect.objectContaining({id: 'qemu-version', status: 'missing'})])
    expect(r.entries[0].reason).toMatch(/^not installed/)
  })
})
