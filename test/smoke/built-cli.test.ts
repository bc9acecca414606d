/**
 * Smoke test of the BUILT CLI (bin/run.js -> dist/nestreport.cjs and its V8 code cache; bin/dev.js
 * -> the tsc output in dist/). Everything else tests src through the library
 * and command classes; only this catches what passes tsc and vitest but crashes in plain Node
 * (default vs named imports of CJS packages such as handlebars and archiver, missing templates in
 * the package layout, oclif failing to find commands). `npm test` builds before running vitest.
 */
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(repo, 'bin', 'run.js')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function run(args: string[], input?: string, entry = bin): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [entry, ...args], {cwd: repo, env: {...process.env, FORCE_COLOR: '0'}, maxBuffer: 64 << 20}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, stdout, stderr})
    })
    if (input !== undefined) child.stdin?.end(input)
    else child.stdin?.end()
  })
}

describe('built bin/run.js', () => {
  let out: string
  beforeAll(() => {
    if (!existsSync(join(repo, 'dist', 'nestreport.cjs')) || !existsSync(join(repo, 'dist', 'commands', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does it first)')
    }
    out = mkdtempSync(join(tmpdir(), 'nestreport-smoke-'))
  })
  afterAll(() => rmSync(out, {recursive: true, force: true}))

  it('prints its version and lists every command in --help', async () => {
    const version = await run(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^nestreport\/\d+\.\d+\.\d+/)
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    for (const command of ['collect', 'report', 'check', 'oops', 'capture-script', 'redact', 'schema']) {
      expect(help.stdout).toContain(command)
    }
  })

  it('loads the bundle with its code cache, which this node accepts', async () => {
    // A rejected cache still runs, only slower: this is what keeps collect's startup fast.
    const probe = `const {loadBundle} = await import(${JSON.stringify(join(repo, 'bin', 'bundle-loader.js'))})
      const {cacheRejected, exports} = loadBundle(${JSON.stringify(join(repo, 'dist', 'nestreport.cjs'))})
      console.log(JSON.stringify({cacheRejected, main: typeof exports.main}))`
    const result = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', probe], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    )
    expect(JSON.parse(result)).toEqual({cacheRejected: false, main: 'function'})
  })

  it('runs from source when the code cache is from elsewhere (another node, a corrupted file)', async () => {
    const copy = join(out, 'copied.cjs')
    copyFileSync(join(repo, 'dist', 'nestreport.cjs'), copy)
    writeFileSync(`${copy}.v8cache`, randomBytes(4096))
    const probe = `const {loadBundle} = await import(${JSON.stringify(join(repo, 'bin', 'bundle-loader.js'))})
      const {cacheRejected, exports} = loadBundle(${JSON.stringify(copy)})
      console.log(JSON.stringify({cacheRejected}))
      await exports.main({root: ${JSON.stringify(repo)}, argv: ['--version']})`
    const result = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', probe], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    )
    const [flag, version] = result.split('\n')
    expect(JSON.parse(flag)).toEqual({cacheRejected: true})
    expect(version).toMatch(/^nestreport\/\d+\.\d+\.\d+/)
  })

  it('bin/dev.js runs the unbundled build', async () => {
    const version = await run(['--version'], undefined, join(repo, 'bin', 'dev.js'))
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^nestreport\/\d+\.\d+\.\d+/)
  })

  it('collect writes a bundle and a report and prints the model with --json', async () => {
    const result = await run(['collect', '--json', '-o', out, '--timeout', '20'])
    expect(result.stderr).not.toMatch(/at .+\.js:\d+/) // no stack trace
    expect(result.code).toBe(0)
    const model = JSON.parse(result.stdout)
    expect(model.schema).toBe('nestreport/level')
    const names = readdirSync(out)
    expect(names.some((n) => /^nestreport-L[0-2x]-.+-\d{8}T\d{6}Z\.tar\.gz$/.test(n))).toBe(true)
    expect(names.some((n) => n.endsWith('.md'))).toBe(true)
  })

  it('report combines the collected bundle, and check prints PASS/WARN/FAIL lines', async () => {
    const bundle = readdirSync(out).find((n) => n.endsWith('.tar.gz') && n.startsWith('nestreport-L'))
    expect(bundle, 'collect ran first').toBeDefined()
    const report = await run(['report', join(out, bundle!), '-o', out, '--format', 'text'])
    expect(report.stderr).not.toMatch(/\n\s+at /)
    expect(report.code).toBe(0)
    expect(report.stdout).toMatch(/nested/i)
    expect(readdirSync(out).some((n) => /^nestreport-setup-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$/.test(n))).toBe(true)
    const check = await run(['check', '--timeout', '20'])
    // 0 when nothing fails, 3 when a check fails: both are answers; anything else is a crash.
    expect([0, 3]).toContain(check.code)
    expect(check.stdout).toMatch(/^(PASS|WARN|FAIL|INFO)\b/m)
  })

  it('oops reads a kernel log from stdin and renders JSON', async () => {
    const log = [
      '[   10.000000] ------------[ cut here ]------------',
      '[   10.000001] WARNING: CPU: 1 PID: 42 at arch/x86/kvm/vmx/nested.c:4563 nested_vmx_vmexit+0x6f/0x7a0 [kvm_intel]',
      '[   10.000002] Call Trace:',
      '[   10.000003]  <TASK>',
      '[   10.000004]  vmx_check_nested_events+0x2e/0x60 [kvm_intel]',
      '[   10.000005]  </TASK>',
      '[   10.000006] ---[ end trace 0000000000000000 ]---',
    ].join('\n')
    const result = await run(['oops', '--json', '-'], log)
    expect(result.code).toBe(0)
    const parsed = JSON.parse(result.stdout)
    const files = Array.isArray(parsed) ? parsed : [parsed]
    expect(files[0].oopses).toHaveLength(1)
    expect(files[0].oopses[0].title).toContain('nested_vmx_vmexit')
  })

  it('keeps a distinct exit code and prints no stack for a missing bundle, also under --json', async () => {
    const plain = await run(['report', join(out, 'does-not-exist.tar.gz'), '-o', out])
    expect(plain.code).toBe(10)
    expect(plain.stderr).not.toMatch(/\n\s+at /)
    const json = await run(['report', join(out, 'does-not-exist.tar.gz'), '-o', out, '--json'])
    expect(json.code).toBe(10)
    expect(JSON.parse(json.stdout).error.exitCode).toBe(10)
  })

  it('prints the capture script and the report.json schema', async () => {
    const script = await run(['capture-script'])
    expect(script.code).toBe(0)
    expect(script.stdout.startsWith('#!/bin/sh')).toBe(true)
    const schema = await run(['schema'])
    expect(schema.code).toBe(0)
    expect(JSON.parse(schema.stdout)).toHaveProperty('properties.schemaVersion')
  })
})
