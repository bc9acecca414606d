// The CLI bundle (dist/nestreport.cjs, built by `npm run build`, which `npm test` runs first) is a
// single file: copied alone into a directory with no node_modules anywhere above it and run with a
// bare `node`, it collects this machine, writes the capture script and renders a report
// (templates embedded).
import {execFile} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../helpers/report-run.js'

const run = promisify(execFile)
const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-single-'))
const built = path.join(REPO_ROOT, 'dist', 'nestreport.cjs')
const bundle = path.join(work, 'nestreport.cjs')
const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string}).version

afterAll(() => rmSync(work, {recursive: true, force: true}))

/** Runs the bundle with node and an environment that cannot reach the repository's packages. */
function nestreport(args: string[]) {
  return run(process.execPath, [bundle, ...args], {cwd: work, env: {PATH: process.env.PATH, HOME: work}, maxBuffer: 64 * 1024 * 1024})
}

beforeAll(() => {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` (npm test does it first)`)
  copyFileSync(built, bundle)
})

describe('single-file build', () => {
  it('is one file, with no node_modules to lean on', () => {
    expect(readdirSync(work)).toEqual(['nestreport.cjs'])
    for (let dir = work; dir !== path.dirname(dir); dir = path.dirname(dir)) expect(existsSync(path.join(dir, 'node_modules')), dir).toBe(false)
  })

  it('prints its version', async () => {
    const {stdout} = await nestreport(['--version'])
    expect(stdout).toMatch(new RegExp(`^nestreport/${version.replaceAll('.', '\\.')} `))
  })

  it('collects this machine into a bundle and a report', async () => {
    const out = path.join(work, 'out')
    const {stdout, stderr} = await nestreport(['collect', '-o', out, '--json'])
    expect(stderr).toBe('')
    const model = JSON.parse(stdout)
    expect(model.tool).toEqual({name: 'nestreport', version})
    expect(model.kernel.hostname.value).toBe(os.hostname())
    const names = readdirSync(out)
    expect(names.filter((n) => n.endsWith('.tar.gz'))).toHaveLength(1)
    // The .md beside the bundle comes from the embedded templates.
    const md = names.find((n) => n.endsWith('.md'))!
    expect(readFileSync(path.join(out, md), 'utf8')).toContain(os.hostname())
  })

  it('prints the capture script, stamped with its version', async () => {
    const {stdout} = await nestreport(['capture-script'])
    expect(stdout).toMatch(/^#!\/bin\/sh\n/)
    expect(stdout).toContain(`NR_VERSION='${version}'`)
  })
})
