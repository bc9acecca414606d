import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readBundle} from '../../src/bundle/read.js'
import {writeBundle} from '../../src/bundle/write.js'
import {captureEntries} from '../../src/capture/layout.js'
import Redact from '../../src/commands/redact.js'
import {EXIT} from '../../src/lib/errors.js'
import {LevelModel} from '../../src/model/level.js'
import {renderLevelReport} from '../../src/render/level.js'
import {pvmL1Model} from '../helpers/level-model.js'
import {runCommand} from '../helpers/report-run.js'
import {L0_CMDLINE, L0_IDENTITY, l0Capture, l1Capture, QEMU_ARGV, SECRETS} from '../redact/corpus.js'
import {goodEntries, gz, manifestJson, rawTar} from './tar-builder.js'

let root: string
let input: string
let out: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nestreport-redact-cmd-'))
  input = join(root, 'in')
  out = join(root, 'out')
  await mkdir(input)
})
afterEach(async () => {
  await rm(root, {recursive: true, force: true})
})

function l0Model(): LevelModel {
  const model = pvmL1Model()
  model.kernel.hostname = {value: 'bigiron7.corp.example.com', source: '/proc/sys/kernel/hostname'}
  model.kernel.cmdline = {value: L0_CMDLINE.trim(), source: '/proc/cmdline'}
  model.qemu.processes[0].argv = [...QEMU_ARGV]
  model.redaction = null
  return model
}

/** An unredacted bundle as an old collect (or a careless one) would have written it. */
async function unredactedBundle(): Promise<string> {
  const model = l0Model()
  return writeBundle({
    outputDir: input,
    baseName: 'nestreport-L0-bigiron7.corp.example.com-20261125T100000Z',
    capture: l0Capture(),
    extra: [
      {name: 'report.md', data: Buffer.from(renderLevelReport(model, 'md'))},
      {name: 'report.json', data: Buffer.from(JSON.stringify(model))},
    ],
  })
}

async function allTexts(file: string): Promise<string> {
  const bundle = await readBundle(file)
  const parts = captureEntries(bundle.capture).map((e) => `${e.name}\n${e.data.toString('latin1')}`)
  return [bundle.topDir, ...parts, bundle.report?.md ?? '', JSON.stringify(bundle.report?.json ?? null)].join('\n')
}

const leaked = (text: string, values: readonly string[]) => values.filter((v) => text.toLowerCase().includes(v.toLowerCase()))

describe('nestreport redact', () => {
  it('writes <name>-redacted.tar.gz with no secret or identity left, and a private map outside it', async () => {
    const file = await unredactedBundle()
    expect(leaked(await allTexts(file), [...SECRETS, ...L0_IDENTITY]).length).toBeGreaterThan(10)
    const map = join(root, 'setup-map.json')
    const run = await runCommand(Redact, [file, '-o', out, '--redact-map', map])
    expect(run.exitCode).toBe(0)
    const written = await readdir(out)
    expect(written).toHaveLength(1)
    expect(written[0]).toMatch(/^nestreport-L1-host1\.domain1\.example-20261125T100000Z-redacted\.tar\.gz$/)
    const text = await allTexts(join(out, written[0]))
    expect(leaked(text, [...SECRETS, ...L0_IDENTITY])).toEqual([])
    expect(text).not.toContain('"tables"')
    expect((await stat(map)).mode & 0o777).toBe(0o600)
    expect(run.stdout).toContain('secrets removed: ')
    expect(run.stdout).toContain(join(out, written[0]))
    const bundle = await readBundle(join(out, written[0]))
    const model = LevelModel.parse(bundle.report?.json)
    expect(model.redaction?.identityRedacted).toBe(true)
    expect(bundle.report?.md).toContain('Identity redaction was applied')
  })

  it('never overwrites: a second run writes -2 and leaves the first byte-identical', async () => {
    const file = await unredactedBundle()
    await runCommand(Redact, [file, '-o', out])
    const [first] = await readdir(out)
    const firstBytes = await readFile(join(out, first))
    const again = await runCommand(Redact, [file, '-o', out, '--json'])
    expect(again.exitCode).toBe(0)
    const result = JSON.parse(again.stdout)
    expect(result.bundle).toBe(join(out, first.replace(/\.tar\.gz$/, '-2.tar.gz')))
    expect((await readFile(join(out, first))).equals(firstBytes)).toBe(true)
    expect((await readdir(out)).filter((n) => n.startsWith('.'))).toEqual([])
  })

  it('--no-identity removes secrets and keeps names, and says so', async () => {
    const file = await unredactedBundle()
    const run = await runCommand(Redact, [file, '-o', out, '--no-identity'])
    const [written] = await readdir(out)
    const text = await allTexts(join(out, written))
    expect(leaked(text, SECRETS)).toEqual([])
    expect(text).toContain('bigiron7.corp.example.com')
    expect(run.stdout).toContain('identity: NOT redacted')
  })

  it('redacts a capture-script tarball (no report) by analysing it first', async () => {
    const capture = l1Capture()
    const tar = rawTar([
      {path: 'capture/manifest.json', data: JSON.stringify({...capture.manifest, source: 'script'})},
      ...[...capture.files].map(([path, data]) => ({path: `capture/root${path}`, data})),
      ...[...capture.commands].map(([id, o]) => ({path: `capture/commands/${id}.out`, data: o.stdout})),
    ])
    await writeFile(join(input, 'script.tar.gz'), gz(tar))
    const run = await runCommand(Redact, [join(input, 'script.tar.gz'), '-o', out])
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(0)
    const [written] = await readdir(out)
    const bundle = await readBundle(join(out, written))
    expect(bundle.capture.files.get('/proc/sys/kernel/hostname')?.toString()).toBe('host1\n')
    expect(bundle.report?.md).toBeTruthy()
  })
})

describe('nestreport redact on hostile input: exit code, one line, nothing written', () => {
  const TOP = 'nestreport-L1-vm-20261125T100000Z'
  const cases: Array<{name: string; kind: keyof typeof EXIT; data: () => Buffer}> = [
    {name: 'path traversal', kind: 'unsafePath', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/../../../etc/cron.d/x`, data: 'pwned'}]))},
    {name: 'absolute path', kind: 'unsafePath', data: () => gz(rawTar([{path: '/tmp/x', data: 'pwned'}, ...goodEntries(TOP)]))},
    {name: 'symlink', kind: 'linkEntry', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/x`, type: 'SymbolicLink', linkpath: '/etc/passwd'}]))},
    {name: 'hard link', kind: 'linkEntry', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/y`, type: 'Link', linkpath: '/etc/passwd'}]))},
    {name: 'device', kind: 'specialEntry', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/dev/sda`, type: 'CharacterDevice'}]))},
    {name: 'fifo', kind: 'specialEntry', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/p`, type: 'FIFO'}]))},
    {name: 'duplicate', kind: 'duplicateEntry', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/proc/cpuinfo`, data: 'again'}]))},
    {name: 'oversize entry', kind: 'oversize', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/big`, data: 'x', declaredSize: 2 ** 33}], {eof: false}))},
    {name: 'truncated', kind: 'truncated', data: () => gz(rawTar(goodEntries(TOP))).subarray(0, 100)},
    {name: 'not an archive', kind: 'notAnArchive', data: () => Buffer.from('hello, I am a README\n'.repeat(50))},
    {name: 'zero bytes', kind: 'notAnArchive', data: () => Buffer.alloc(0)},
    {name: 'future schema', kind: 'schemaVersion', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: '{"schema":"nestreport/level","schemaVersion":99}'}]))},
    {name: 'malformed manifest', kind: 'malformed', data: () => gz(rawTar([{path: `${TOP}/manifest.json`, data: manifestJson().slice(0, 40)}]))},
    {name: 'report.json not a level model', kind: 'malformed', data: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: '{"schema":"nestreport/level","schemaVersion":1}'}]))},
  ]

  for (const c of cases) {
    it(`${c.name} -> exit ${EXIT[c.kind]} (${c.kind})`, async () => {
      const file = join(input, 'hostile.tar.gz')
      await writeFile(file, c.data())
      const map = join(root, 'map.json')
      const before = (await readdir(root, {recursive: true})).sort()
      const run = await runCommand(Redact, [file, '-o', out, '--redact-map', map])
      expect(run.exitCode).toBe(EXIT[c.kind])
      expect(run.stderr).toMatch(/^nestreport: [^\n]+\n$/)
      expect(run.stdout).toBe('')
      // Nothing written: no output directory, no map, nothing next to the input, nothing at /tmp/x.
      expect((await readdir(root, {recursive: true})).sort()).toEqual(before)
      const json = await runCommand(Redact, [file, '-o', out, '--json'])
      expect(json.exitCode).toBe(EXIT[c.kind])
      expect(JSON.parse(json.stdout).error.exitCode).toBe(EXIT[c.kind])
    })
  }

  it('a missing bundle -> inputMissing', async () => {
    const run = await runCommand(Redact, [join(input, 'nope.tar.gz'), '-o', out])
    expect(run.exitCode).toBe(EXIT.inputMissing)
    await expect(stat(out)).rejects.toThrow()
  })
})
