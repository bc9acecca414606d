// The single-file build (npm run build:single): one .mjs that runs with a bare `node`, copied
// alone into a directory with no node_modules anywhere above it, collects this machine, writes the
// capture script and renders a report (templates embedded).
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REPO_ROOT} from '../helpers/report-run.js'

const run = promisify(execFile)
const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-single-'))
const bundle = path.join(work, 'nestreport.mjs')
const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string}).version

afterAll(() => rmSync(work, {recursive: true, force: true}))

/** Runs the bundle with node and an environment that cannot reach the repository's packages. */
function nestreport(args: string[]) {
  return run(process.execPath, [bundle, ...args], {cwd: work, env: {PATH: process.env.PATH, HOME: work}, maxBuffer: 64 * 1024 * 1024})
}

beforeAll(async () => {
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-single.mjs'), bundle], {cwd: REPO_ROOT})
}, 120_000)

describe('single-file build', () => {
  it('is one file, with no node_modules to lean on', () => {
    expect(readdirSync(work)).toEqual(['nestreport.mjs'])
    for (let dir = work; dir !== path.dirname(dir); dir = path.dirname(dir)) expect(existsSync(path.join(dir, 'node_modules')), dir).toBe(false)
    expect(readFileSync(bundle, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
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
