// The generated POSIX capture script, run for real under dash and busybox sh against a fake root
// (-r), and checked against what the Node walker (captureFromSysroot) captures from the same root.
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readBundle} from '../../src/bundle/read.js'
import {SCRIPT_PRODUCER, renderCaptureScript} from '../../src/capture/script.js'
import {extractSerialCapture} from '../../src/capture/serial.js'
import {collect} from '../../src/collect.js'
import type {SpecItem} from '../../src/capture/spec.js'
import {captureFromSysroot} from '../../src/capture/sysroot.js'
import type {Capture, ManifestEntry} from '../../src/capture/types.js'
import {CaptureView, formatCpuidLeaf} from '../../src/capture/view.js'
import {EXIT} from '../../src/lib/errors.js'
import {AWKWARD_NAMES, buildFakeRoot, FAKE_CPUID, FAKE_HOST, FAKE_QEMU_PID, UNREADABLE} from './fake-root.js'
import {ManifestSchema} from './manifest-schema.js'
import {archiveIn, MISSING_SHELLS, runScript, SHELLS, type Shell, writeScript} from './shells.js'

const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-script-test-'))
chmodSync(work, 0o755)
const fakeRoot = path.join(work, 'root')
buildFakeRoot(fakeRoot)
const script = writeScript(work)

afterAll(() => rmSync(work, {recursive: true, force: true}))

function freshDir(name: string): string {
  const dir = mkdtempSync(path.join(work, `${name}-`))
  chmodSync(dir, 0o777)
  return dir
}

/** Every kind of character the script's JSON writer must escape: quote, backslash, newline, tab, a control byte; and UTF-8. */
const LABEL = 'fake "root" \\ line\nnext\tcol \u0001 ünï'

const key = (e: ManifestEntry) => `${e.kind} ${e.id}`
/** What must agree between two producers for an entry (durations never do). */
const outcome = (e: ManifestEntry) => ({status: e.status, stored: e.stored, bytes: e.bytes, reason: e.reason, truncated: e.truncated})

it('the script passes shellcheck as POSIX sh and as dash', (ctx) => {
  let version: string
  try {
    version = execFileSync('shellcheck', ['--version'], {encoding: 'utf8'})
  } catch {
    console.warn('capture-script tests: shellcheck not installed (apt-get install shellcheck); lint skipped')
    ctx.skip()
    return
  }
  expect(version).toMatch(/ShellCheck/)
  for (const dialect of ['sh', 'dash']) {
    // Throws with shellcheck's findings as the message when there are any.
    execFileSync('shellcheck', ['-s', dialect, '-S', 'style', script], {encoding: 'utf8'})
  }
})

describe('script generation', () => {
  const why = 'test'
  it('refuses a fallback that comes before the command it stands in for', () => {
    const spec: SpecItem[] = [
      {kind: 'command', id: 'b', argv: ['b'], fallbackFor: 'a', group: 'g', why},
      {kind: 'command', id: 'a', argv: ['a'], group: 'g', why},
    ]
    expect(() => renderCaptureScript({spec})).toThrow(/falls back from a/)
  })

  it('refuses command ids that are not file-name safe', () => {
    expect(() => renderCaptureScript({spec: [{kind: 'command', id: '../x', argv: ['x'], group: 'g', why}]})).toThrow(/not file-name safe/)
  })

  it('quotes every spec word, so a path with shell syntax stays one literal word', () => {
    const text = renderCaptureScript({spec: [{kind: 'file', path: "/tmp/it's $(reboot)", group: 'g', why}]})
    expect(text).toContain(`nr_file '/tmp/it'\\''s $(reboot)' 'g'`)
  })
})

if (SHELLS.length === 0) it.skip(`capture script under a real shell: none installed (${MISSING_SHELLS.join(', ')})`, () => {})

describe.each(SHELLS)('capture script under $name', (shell: Shell) => {
  let archive: string
  let capture: Capture
  let view: CaptureView
  let sysroot: Capture

  beforeAll(async () => {
    const out = freshDir('out')
    const run = await runScript(shell, script, ['-r', fakeRoot, '-o', out, '-l', 'L2', '-L', LABEL, '-t', '05'])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    archive = archiveIn(out)
    expect(run.stdout.toString()).toBe(`${archive}\n`)
    capture = (await readBundle(archive)).capture
    view = new CaptureView(capture)
    sysroot = await captureFromSysroot(fakeRoot, {timeoutSeconds: 5})
  })

  it('writes a manifest that is exactly a CaptureManifest', () => {
    const manifestText = execFileSync('tar', ['-xzOf', archive, `${path.basename(archive, '.tar.gz')}/manifest.json`], {encoding: 'utf8'})
    const manifest = ManifestSchema.parse(JSON.parse(manifestText))
    expect(manifest).toMatchObject({
      source: 'script',
      producer: {name: SCRIPT_PRODUCER, version: 'test'},
      hostname: FAKE_HOST,
      arch: os.machine(),
      label: LABEL,
      levelOverride: 'L2',
      timeoutSeconds: 5,
      user: {uid: process.getuid!(), root: process.getuid!() === 0},
    })
    expect(path.basename(archive)).toMatch(new RegExp(`^nestreport-L2-${FAKE_HOST}-\\d{8}T\\d{6}Z\\.tar\\.gz$`))
  })

  it('captures the same files, with the same outcomes, as the Node walker over the same root', () => {
    // An offline sysroot runs no commands and reads no device nodes (cpuid): compare the rest.
    const offline = (e: ManifestEntry) => e.kind === 'command' || e.kind === 'cpuid'
    const scriptFiles = new Map(capture.files)
    scriptFiles.delete('/dev/cpu/0/cpuid@leaves')
    expect(scriptFiles).toEqual(new Map(sysroot.files))
    const scriptEntries = new Map(capture.manifest.entries.filter((e) => !offline(e)).map((e) => [key(e), outcome(e)]))
    const nodeEntries = new Map(sysroot.manifest.entries.filter((e) => !offline(e)).map((e) => [key(e), outcome(e)]))
    expect(scriptEntries).toEqual(nodeEntries)
  })

  it('records present, missing and globbed files as the spec asks', () => {
    expect(view.text('/proc/version')).toBe(readFileSync(path.join(fakeRoot, 'proc/version'), 'utf8'))
    expect(view.entry('file', '/proc/sysinfo')).toMatchObject({status: 'missing', bytes: 0})
    expect(view.entry('file', '/.dockerenv')).toMatchObject({status: 'ok', bytes: 0, stored: 'root/.dockerenv'})
    expect(view.list('/sys/module/kvm_amd/parameters')).toEqual(['nested', 'npt'])
    for (const name of AWKWARD_NAMES) expect(view.text(`/etc/modprobe.d/${name}`)).toContain(name)
  })

  it('derives /dev/kvm, CPUID and the QEMU process records in the parser formats', () => {
    const uid = process.getuid!()
    const gid = process.getgid!()
    expect(view.text('/dev/kvm@stat')).toBe(`type=file mode=0644 uid=${uid} gid=${gid} readable=yes writable=yes\n`)
    const leaves = view.cpuid()!
    for (const {leaf, regs} of FAKE_CPUID) {
      const [eax, ebx, ecx, edx] = regs
      expect(leaves).toContainEqual({leaf, subleaf: 0, eax, ebx, ecx, edx})
    }
    // Every spec leaf whose 16 bytes lie inside the stand-in is listed; the ones past its end
    // (short reads) are left out, as the Node reader leaves them out.
    expect(leaves.map((l) => l.leaf)).toEqual([0x0, 0x1, 0x7, 0x4000_0000, 0x4000_0001])
    expect(view.text('/dev/cpu/0/cpuid@leaves')).toContain(`${formatCpuidLeaf({leaf: 0x7, subleaf: 0, eax: 0x4d416368, ebx: 0x746e6544, ecx: 0x69, edx: 0})}\n`)
    const proc = `/proc/${FAKE_QEMU_PID}`
    expect(view.links(proc)).toEqual(new Map([['exe', '/usr/bin/qemu-system-x86_64']]))
    expect(view.text(`${proc}/fd@links`)).toBe('0 -> /dev/null\n2 -> /dev/kvm\n11 -> anon_inode:kvm-vm\n')
    expect(view.text(`${proc}/task/${FAKE_QEMU_PID + 1}/comm`)).toBe('CPU 0/KVM\n')
    expect(view.has('/proc/1/cmdline')).toBe(false)
  })

  it('is a level that collect --sysroot reads once extracted, like report reads the archive', async () => {
    const extracted = freshDir('extracted')
    execFileSync('tar', ['-xzf', archive, '-C', extracted])
    const [top] = readdirSync(extracted)
    const out = freshDir('collected')
    const result = await collect({outputDir: out, level: 'auto', sysroot: path.join(extracted, top), timeoutSeconds: 5})
    expect(result.model.capture).toMatchObject({source: 'script', producer: `${SCRIPT_PRODUCER} test`, label: LABEL})
    expect(result.model.level).toMatchObject({override: 'L2', effective: 'L2'})
    expect(result.model.kernel.hostname.value).toBe(FAKE_HOST)
    expect(result.model.cpu.cpuid?.hypervisorSignature).toBe('KVMKVMKVM')
  })

  it('keeps a file whose name has a backslash out of the archive, and says so', async () => {
    const root = path.join(work, `backslash-${shell.name}`)
    mkdirSync(path.join(root, 'etc/modprobe.d'), {recursive: true, mode: 0o755})
    writeFileSync(path.join(root, 'etc/modprobe.d/a\\b.conf'), 'options kvm nested=1\n')
    writeFileSync(path.join(root, 'etc/modprobe.d/kvm.conf'), 'options kvm nested=1\n')
    const out = freshDir('backslash')
    const globOnly = writeScript(mkdtempSync(path.join(work, 'glob-')), {
      spec: [{kind: 'glob', pattern: '/etc/modprobe.d/*', group: 'kvm', why: 'test'}],
    })
    const run = await runScript(shell, globOnly, ['-r', root, '-o', out])
    expect(run.status, run.stderr).toBe(0)
    const bsView = new CaptureView((await readBundle(archiveIn(out))).capture)
    expect(bsView.entry('file', '/etc/modprobe.d/a\\b.conf')).toMatchObject({status: 'skipped', reason: expect.stringMatching(/backslash/)})
    expect(bsView.list('/etc/modprobe.d')).toEqual(['kvm.conf'])
  })

  it('streams the same capture to stdout, raw and base64 between the serial markers', async () => {
    const raw = await runScript(shell, script, ['-r', fakeRoot, '-o', '-'])
    expect(raw.status).toBe(0)
    expect(raw.stdout.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
    const encoded = await runScript(shell, script, ['-r', fakeRoot, '-b'])
    expect(encoded.status).toBe(0)
    const text = encoded.stdout.toString('utf8')
    expect(text).toMatch(/^\n--- nestreport capture begin ---\n[A-Za-z0-9+/=\n]+--- nestreport capture end ---\n$/)
    const dir = freshDir('streams')
    for (const [name, data] of [
      ['raw.tar.gz', raw.stdout],
      ['serial.tar.gz', extractSerialCapture(text)],
    ] as const) {
      writeFileSync(path.join(dir, name), data)
      const streamed = (await readBundle(path.join(dir, name))).capture
      expect(new Map(streamed.files)).toEqual(new Map(capture.files))
      expect(streamed.manifest.entries.map(key)).toEqual(capture.manifest.entries.map(key))
    }
    // Nothing left behind in TMPDIR by the stdout modes.
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith('nestreport-capture.'))).toEqual([])
  })

  it('never overwrites an existing archive and leaves nothing behind', async () => {
    const out = freshDir('taken')
    // The name has a one-second stamp: take every name this run can get.
    const now = Date.now()
    const taken: string[] = []
    for (let s = -2; s <= 20; s++) {
      const stamp = new Date(now + s * 1000).toISOString().replace(/[-:]|\.\d+/g, '')
      const name = `nestreport-L1-${FAKE_HOST}-${stamp}.tar.gz`
      writeFileSync(path.join(out, name), 'keep')
      taken.push(name)
    }
    const run = await runScript(shell, script, ['-r', fakeRoot, '-o', out, '-l', 'L1'])
    expect(run.status).toBe(EXIT.outputExists)
    expect(run.stderr).toMatch(/exists; not overwriting it/)
    expect(readdirSync(out).sort()).toEqual(taken.sort())
    for (const name of taken) expect(readFileSync(path.join(out, name), 'utf8')).toBe('keep')
  })

  it('rejects bad options with a usage error and prints help with -h', async () => {
    for (const args of [['-l', 'L5'], ['-t', '0'], ['-t', '00'], ['-t', 'x'], ['-t', ''], ['-b', '-o', '/tmp'], ['extra'], ['-Z']]) {
      const run = await runScript(shell, script, args)
      expect(run.status, args.join(' ')).toBe(EXIT.usage)
      expect(run.stdout.length, args.join(' ')).toBe(0)
    }
    const missingRoot = await runScript(shell, script, ['-r', path.join(work, 'nope')])
    expect(missingRoot.status).toBe(EXIT.inputMissing)
    const help = await runScript(shell, script, ['-h'])
    expect(help.status).toBe(0)
    expect(help.stdout.toString()).toMatch(/^Usage: sh capture\.sh /)
  })

  it('records what a non-root user cannot read, and skips what needs root', async (ctx) => {
    const asUser = process.getuid!() === 0 ? {uid: 65534, gid: 65534} : undefined
    if (asUser && !existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv')) {
      console.warn('capture-script tests: running as root without setpriv; non-root capture not tested')
      ctx.skip()
    }
    const out = freshDir('user')
    const run = await runScript(shell, script, ['-r', fakeRoot, '-o', out], {asUser})
    expect(run.status, run.stderr).toBe(0)
    const userView = new CaptureView((await readBundle(archiveIn(out))).capture)
    expect(userView.manifest.user).toEqual({uid: asUser?.uid ?? process.getuid!(), root: false})
    expect(userView.entry('file', UNREADABLE)).toMatchObject({status: 'permission-denied', reason: 'permission denied (run as root for a complete report)'})
    expect(userView.entry('cpuid', '/dev/cpu/0/cpuid')).toMatchObject({status: 'permission-denied', reason: '/dev/cpu/0/cpuid needs root'})
    expect(userView.entry('command', 'dmidecode')).toMatchObject({status: 'skipped', reason: 'needs root'})
    // The fake /dev/kvm is 0644 root: readable, not writable, for anyone else.
    if (asUser) expect(userView.text('/dev/kvm@stat')).toMatch(/ readable=yes writable=no\n$/)
  })
})

describe.each(SHELLS)('commands under $name', (shell: Shell) => {
  const why = 'test'
  const group = 'test'
  const bin = path.join(work, `bin-${shell.name}`)
  const spec: SpecItem[] = [
    {kind: 'command', id: 'ok', argv: ['nr-ok', 'a b', "it's"], group, why},
    {kind: 'command', id: 'ok-fallback', argv: ['nr-ok'], fallbackFor: 'ok', group, why},
    {kind: 'command', id: 'fails', argv: ['nr-fail'], group, why},
    {kind: 'command', id: 'fails-fallback', argv: ['nr-ok', 'fallback'], fallbackFor: 'fails', group, why},
    {kind: 'command', id: 'denied', argv: ['nr-denied'], group, why},
    {kind: 'command', id: 'absent', argv: ['nr-not-installed'], group, why},
    {kind: 'command', id: 'big', argv: ['nr-ok', '0123456789'], maxBytes: 8, group, why},
    {kind: 'command', id: 'hangs', argv: ['nr-hang'], group, why},
  ]
  let commandScript: string

  beforeAll(() => {
    mkdirSync(bin, {recursive: true, mode: 0o755})
    const fake = (name: string, body: string) => writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, {mode: 0o755})
    fake('nr-ok', 'printf "%s|" "$@"; echo')
    fake('nr-fail', 'echo "first line" >&2; echo "second line" >&2; exit 3')
    fake('nr-denied', 'echo "nr-denied: read kernel buffer failed: Operation not permitted" >&2; exit 1')
    fake('nr-hang', 'echo partial; exec sleep 30')
    const dir = mkdtempSync(path.join(work, `cmd-${shell.name}-`))
    commandScript = writeScript(dir, {spec})
  })

  for (const timer of ['timeout', 'shell watchdog'] as const) {
    it(`records each command's outcome, and bounds a hanging one (${timer})`, async () => {
      const out = freshDir('cmd')
      const run = await runScript(shell, commandScript, ['-o', out, '-t', '1'], {pathPrefix: [bin], without: timer === 'timeout' ? [] : ['timeout']})
      expect(run.status, run.stderr).toBe(0)
      // One hanging command with -t 1: about a second, never its 30 s.
      expect(run.ms).toBeLessThan(20_000)
      const view = new CaptureView((await readBundle(archiveIn(out))).capture)
      const entry = (id: string) => view.entry('command', id)
      expect(entry('ok')).toMatchObject({status: 'ok', exitCode: 0, argv: ['nr-ok', 'a b', "it's"], stored: 'commands/ok.out'})
      expect(view.commandOutput('ok')).toBe("a b|it's|\n")
      expect(entry('ok-fallback')).toMatchObject({status: 'skipped', reason: 'not needed: ok succeeded', durationMs: 0})
      expect(entry('fails')).toMatchObject({status: 'failed', exitCode: 3, reason: 'first line'})
      expect(view.command('fails')!.stderr).toBe('first line\nsecond line\n')
      expect(entry('fails-fallback')).toMatchObject({status: 'ok'})
      expect(entry('denied')).toMatchObject({status: 'permission-denied', exitCode: 1, reason: 'permission denied: nr-denied: read kernel buffer failed: Operation not permitted'})
      expect(entry('absent')).toMatchObject({status: 'missing', exitCode: null, reason: 'not installed'})
      expect(view.command('absent')!.stdout).toBe('')
      expect(entry('big')).toMatchObject({status: 'ok', bytes: 8, truncated: true})
      expect(view.commandOutput('big')).toBe('456789|\n')
      expect(entry('hangs')).toMatchObject({status: 'timed-out', reason: 'timed out after 1s (partial output kept)'})
      expect(entry('hangs')!.durationMs).toBeGreaterThanOrEqual(500)
      expect(view.command('hangs')!.stdout).toBe('partial\n')
    })
  }
})
