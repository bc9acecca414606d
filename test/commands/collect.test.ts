import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import Collect from '../../src/commands/collect.js'
import {EXIT} from '../../src/lib/errors.js'
import {archiveNames, archiveText, REPO_ROOT, runCommand} from '../helpers/report-run.js'

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/sysroots/pvm-l1')

let out: string

beforeEach(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'nestreport-collect-'))
})

afterEach(async () => {
  await rm(out, {recursive: true, force: true})
})

const runCollect = (args: string[]) => runCommand(Collect, args)

async function tarFiles(file: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const name of await archiveNames(file)) files.set(name, await archiveText(file, name))
  return files
}

const fixtureManifest = async () => JSON.parse(await readFile(path.join(FIXTURE, 'manifest.json'), 'utf8')) as {startedAt: string; hostname: string}

describe('nestreport collect', () => {
  it('re-parses a capture directory into a bundle and a report beside it; --json prints the model', async () => {
    const {stdout} = await runCollect(['--sysroot', FIXTURE, '-o', out, '--json'])
    const model = JSON.parse(stdout)
    expect(model.schema).toBe('nestreport/level')
    const stamp = `${new Date((await fixtureManifest()).startedAt).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`
    const base = `nestreport-${model.level.effective ?? 'Lx'}-${model.kernel.hostname.value}-${stamp}`
    expect((await readdir(out)).sort()).toEqual([`${base}.md`, `${base}.tar.gz`])

    const files = await tarFiles(path.join(out, `${base}.tar.gz`))
    expect(files.get(`${base}/report.md`)).toBe(await readFile(path.join(out, `${base}.md`), 'utf8'))
    expect(JSON.parse(files.get(`${base}/report.json`)!)).toEqual(model)
    expect(JSON.parse(files.get(`${base}/manifest.json`)!).format).toBe('nestreport-capture')
    expect([...files.keys()].some((name) => name.startsWith(`${base}/root/proc/`))).toBe(true)
  })

  it('prints where the bundle and report went, and never overwrites them on a second run', async () => {
    const first = await runCollect(['--sysroot', FIXTURE, '-o', out])
    const second = await runCollect(['--sysroot', FIXTURE, '-o', out])
    const paths = (text: string) => [...text.matchAll(/^(bundle|report): (.+)$/gm)].map((m) => m[2])
    const [bundle1, report1] = paths(first.stdout)
    const [bundle2, report2] = paths(second.stdout)
    expect(bundle2).toBe(bundle1.replace(/\.tar\.gz$/, '-2.tar.gz'))
    expect(report2).toBe(report1.replace(/\.md$/, '-2.md'))
    expect((await readdir(out)).length).toBe(4)
  })

  it('keeps a --level correction and a --label in the model and the bundle name', async () => {
    const {stdout} = await runCollect(['--sysroot', FIXTURE, '-o', out, '--level', 'L2', '--label', 'ticket 42', '--json'])
    const model = JSON.parse(stdout)
    expect(model.level.override).toBe('L2')
    expect(model.level.effective).toBe('L2')
    expect(model.capture.label).toBe('ticket 42')
    expect((await readdir(out)).every((f) => f.startsWith('nestreport-L2-'))).toBe(true)
  })

  it('collects a plain root filesystem without running commands', async () => {
    const root = path.join(out, 'sysroot')
    await mkdir(path.join(root, 'proc/sys/kernel'), {recursive: true})
    await writeFile(path.join(root, 'proc/sys/kernel/hostname'), 'weird host/name\n')
    await writeFile(path.join(root, 'proc/cpuinfo'), 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n')
    const reports = path.join(out, 'reports')
    const {stdout} = await runCollect(['--sysroot', root, '-o', reports, '--json'])
    const model = JSON.parse(stdout)
    expect(model.capture.source).toBe('sysroot')
    const [bundle] = (await readdir(reports)).filter((f) => f.endsWith('.tar.gz'))
    // The host name is sanitized for the file name.
    expect(bundle).toMatch(/^nestreport-(L0|L1|L2|Lx)-[A-Za-z0-9._-]+-\d{8}T\d{6}Z\.tar\.gz$/)
    expect(bundle).not.toContain('/')
  })

  it('fails with one line and the inputMissing status for a missing sysroot', async () => {
    const {stderr, exitCode} = await runCollect(['--sysroot', path.join(out, 'nope'), '-o', out])
    expect(exitCode).toBe(EXIT.inputMissing)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^nestreport: sysroot .*nope: not found/)
    expect(await readdir(out)).toEqual([])
  })
})
