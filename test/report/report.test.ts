import {existsSync} from 'node:fs'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import Report from '../../src/commands/report.js'
import {EXIT} from '../../src/lib/errors.js'
import {CombinedModel} from '../../src/model/combined.js'
import {utcStamp} from '../../src/bundle/write.js'
import {buildCombinedReport} from '../../src/report.js'
import {loadFixtureCapture} from '../helpers/load-capture.js'
import {archiveNames, archiveText, bundleOf, runCommand, tempDir} from '../helpers/report-run.js'

const now = new Date('2026-11-25T16:30:00.123Z')
let tmp: {dir: string; done: () => Promise<void>}
let out: string
let bundle: string

beforeEach(async () => {
  tmp = await tempDir('nestreport-report-')
  out = path.join(tmp.dir, 'out')
  bundle = await bundleOf(loadFixtureCapture('pvm-l1'), tmp.dir, 'nestreport-L1-vm-20261125T154002Z')
})
afterEach(() => tmp.done())

describe('buildCombinedReport', () => {
  it('rebuilds the model from the capture, writes the archive and the report beside it', async () => {
    const result = await buildCombinedReport({bundles: [bundle], outputDir: out, now})
    expect(utcStamp(now)).toBe('20261125T163000Z')
    expect(path.basename(result.archivePath)).toBe('nestreport-setup-20261125T163000Z.tar.gz')
    expect(path.basename(result.reportPath)).toBe('nestreport-setup-20261125T163000Z.md')
    expect(await readFile(result.reportPath, 'utf8')).toBe(result.rendered)
    expect(result.model.levels.map((l) => [l.level, l.assignedBy])).toEqual([['L1', 'detected']])
    expect(result.model.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['KVM_NON_VMX_SVM_MODULE', 'LEVEL_MISSING']))
    expect(() => CombinedModel.parse(result.model)).not.toThrow()

    const names = await archiveNames(result.archivePath)
    const top = 'nestreport-setup-20261125T163000Z'
    expect(names.slice(0, 4)).toEqual([`${top}/report.md`, `${top}/report.txt`, `${top}/report.json`, `${top}/L1/manifest.json`])
    expect(names).toContain(`${top}/L1/root/proc/cpuinfo`)
    expect(names.every((n) => n.startsWith(`${top}/`))).toBe(true)
    // The checklist's paths are real entries of the archive.
    for (const item of result.model.checklist) {
      const where = item.perLevel.L1?.where
      if (where) expect(names).toContain(`${top}/${where}`)
    }
    const json = JSON.parse(await archiveText(result.archivePath, `${top}/report.json`))
    expect(json.schema).toBe('nestreport/combined')
    expect(await archiveText(result.archivePath, `${top}/report.txt`)).toMatch(/^Nested virtualization report: L1\n=+\n/)
  })

  it('never overwrites: a second run gets -2 names, and the output dir holds nothing else', async () => {
    const a = await buildCombinedReport({bundles: [bundle], outputDir: out, now})
    const b = await buildCombinedReport({bundles: [bundle], outputDir: out, now, format: 'text'})
    expect(path.basename(b.archivePath)).toBe('nestreport-setup-20261125T163000Z-2.tar.gz')
    expect(path.basename(b.reportPath)).toBe('nestreport-setup-20261125T163000Z-2.txt')
    expect((await readdir(out)).sort()).toEqual([path.basename(a.archivePath), path.basename(b.archivePath), path.basename(a.reportPath), path.basename(b.reportPath)].sort())
  })

  it('applies --level corrections and keeps the detected level beside them', async () => {
    const result = await buildCombinedReport({bundles: [bundle], outputDir: out, now, levelCorrections: ['#1=L2']})
    expect(result.model.levels[0]).toMatchObject({level: 'L2', assignedBy: 'command-line'})
    expect(result.model.levels[0].model.level.detected).toBe('L1')
    expect(result.model.findings.find((f) => f.id === 'LEVEL_LABEL_MISMATCH')?.title).toBe('The bundle used as L2 looks like L1')
  })

  it('reports from the readable bundles when one is not a bundle, naming it', async () => {
    const junk = path.join(tmp.dir, 'notes.tar.gz')
    await writeFile(junk, 'this is not an archive\n')
    const result = await buildCombinedReport({bundles: [junk, bundle], outputDir: out, now})
    expect(result.rejected).toHaveLength(1)
    expect(result.rejected[0].bundle).toBe(junk)
    const f = result.model.findings.find((x) => x.id === 'BUNDLE_UNREADABLE')!
    expect(f.severity).toBe('fail')
    expect(f.evidence[0].source).toBe(junk)
  })

  it('a combined archive given as a bundle is refused with a hint', async () => {
    const first = await buildCombinedReport({bundles: [bundle], outputDir: out, now})
    const again = await buildCombinedReport({bundles: [first.archivePath, bundle], outputDir: out, now})
    expect(again.rejected[0].message).toMatch(/a combined archive from `nestreport report`: give the level bundles it was made from\)$/)
  })

  it('renders a user template against the same view model', async () => {
    const template = path.join(tmp.dir, 'mine.txt.hbs')
    await writeFile(template, '{{chain}}\n{{#each findings}}{{id}} {{/each}}\n{{model.schema}}\n')
    const result = await buildCombinedReport({bundles: [bundle], outputDir: out, now, template})
    expect(result.rendered).toMatch(/^L0 \(no bundle\) -> L1 under Firecracker \(KVM\)/)
    expect(result.rendered).toContain('KVM_NON_VMX_SVM_MODULE')
    expect(result.rendered.trimEnd().split('\n').at(-1)).toBe('nestreport/combined')
    expect(path.extname(result.reportPath)).toBe('.txt')
  })
})

describe('nestreport report (command)', () => {
  it('prints the markdown report and says where the files went', async () => {
    const run = await runCommand(Report, [bundle, '-o', out])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^# Nested virtualization report: L1\n/)
    expect(run.stderr).toMatch(/^nestreport: wrote .*nestreport-setup-\d{8}T\d{6}Z\.md and .*\.tar\.gz\n$/)
  })

  it('--json prints the combined model with its findings and output paths', async () => {
    const run = await runCommand(Report, ['--json', '--format', 'text', bundle, '-o', out])
    const json = JSON.parse(run.stdout)
    expect(json.schema).toBe('nestreport/combined')
    expect(json.findings.some((f: {id: string}) => f.id === 'KVM_NON_VMX_SVM_MODULE')).toBe(true)
    expect(json.output.report).toMatch(/\.txt$/)
    expect(run.stderr).toBe('')
  })

  it('exits with the unreadable bundle\'s status after writing the report of the others', async () => {
    const junk = path.join(tmp.dir, 'junk.tar.gz')
    await writeFile(junk, 'x')
    const run = await runCommand(Report, [junk, bundle, '-o', out])
    expect(run.exitCode).not.toBe(0)
    expect(run.stderr.split('\n')[0]).toMatch(/^nestreport: .*junk\.tar\.gz/)
    expect(run.stdout).toContain('BUNDLE_UNREADABLE')
  })

  it('no readable bundle: nothing written, the bundle\'s own exit status and message', async () => {
    const junk = path.join(tmp.dir, 'junk.tar.gz')
    await writeFile(junk, 'x')
    const run = await runCommand(Report, [junk, '-o', out])
    expect(run.exitCode).toBe(EXIT.notAnArchive)
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    expect(run.stderr).toContain('junk.tar.gz')
    expect(existsSync(out)).toBe(false)
  })

  it('a user template with a typo is one line naming the template', async () => {
    const template = path.join(tmp.dir, 'typo.md.hbs')
    await writeFile(template, '{{chian}}\n')
    const run = await runCommand(Report, [bundle, '-o', out, '--template', template])
    expect(run.exitCode).toBe(EXIT.malformed)
    expect(run.stderr).toMatch(/^nestreport: template .*typo\.md\.hbs: "chian" not defined - 1:2\n$/)
  })

  it('a bad --level is a usage error with one line', async () => {
    const run = await runCommand(Report, [bundle, '-o', out, '--level', 'other.tar.gz=L1'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toBe('nestreport: --level other.tar.gz=L1: other.tar.gz is not one of the bundles given\n')
  })
})
