// `nestreport capture-script`: prints or writes the script, and turns a serial-console log of its
// -b output back into an archive that `report` reads.
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {readBundle} from '../../src/bundle/read.js'
import CaptureScript from '../../src/commands/capture-script.js'
import {EXIT} from '../../src/lib/errors.js'
import {REPO_ROOT, runCommand} from '../helpers/report-run.js'
import {buildFakeRoot, FAKE_HOST} from './fake-root.js'
import {runScript, SHELLS, writeScript} from './shells.js'

const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-capture-script-cmd-'))
chmodSync(work, 0o755)
afterAll(() => rmSync(work, {recursive: true, force: true}))

const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string}).version

describe('nestreport capture-script', () => {
  it('prints the script, stamped with this version and the chosen default timeout', async () => {
    const {stdout, stderr, exitCode} = await runCommand(CaptureScript, ['-t', '7'])
    expect(exitCode).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^#!\/bin\/sh\n/)
    expect(stdout).toContain(`NR_VERSION='${version}'`)
    expect(stdout).toContain('NR_DEFAULT_TIMEOUT=7\n')
    expect(stdout.endsWith('\n')).toBe(true)
  })

  it('writes it to a file with -o, never over an existing one', async () => {
    const dir = mkdtempSync(path.join(work, 'out-'))
    const target = path.join(dir, 'capture.sh')
    writeFileSync(target, 'mine')
    const {stdout, exitCode} = await runCommand(CaptureScript, ['-o', target, '--json'])
    expect(exitCode).toBe(0)
    const result = JSON.parse(stdout)
    expect(result.written).toBe(path.join(dir, 'capture-2.sh'))
    expect(readFileSync(target, 'utf8')).toBe('mine')
    expect(readFileSync(result.written, 'utf8')).toMatch(/^#!\/bin\/sh\n/)
    expect(result.bytes).toBe(readFileSync(result.written).length)
  })

  it('reports a missing serial log in one line', async () => {
    const {stderr, exitCode} = await runCommand(CaptureScript, ['--decode', path.join(work, 'no-such.log'), '-o', work])
    expect(exitCode).toBe(EXIT.inputMissing)
    expect(stderr).toMatch(/^nestreport: .*no-such\.log: no such file\n$/)
  })

  it.runIf(SHELLS.length > 0)('decodes a serial log of "sh capture.sh -b" into the archive, and refuses a cut-off one', async () => {
    const root = path.join(work, 'root')
    buildFakeRoot(root)
    const script = writeScript(work)
    const run = await runScript(SHELLS[0], script, ['-r', root, '-b', '-l', 'L2'])
    expect(run.status, run.stderr).toBe(0)
    const console = `[    1.0] Run /init as init process\r\n${run.stdout.toString().replaceAll('\n', '\r\n')}[    9.9] reboot: Power down\r\n`
    const log = path.join(work, 'serial.log')
    writeFileSync(log, console)

    const out = path.join(work, 'decoded')
    const {stdout, exitCode} = await runCommand(CaptureScript, ['--decode', log, '-o', out])
    expect(exitCode).toBe(0)
    const [name] = readdirSync(out)
    expect(name).toMatch(new RegExp(`^nestreport-L2-${FAKE_HOST}-\\d{8}T\\d{6}Z\\.tar\\.gz$`))
    expect(stdout).toBe(`${path.join(out, name)}\n`)
    const bundle = await readBundle(path.join(out, name))
    expect(bundle.topDir).toBe(name.replace(/\.tar\.gz$/, ''))
    expect(bundle.capture.manifest).toMatchObject({source: 'script', levelOverride: 'L2', hostname: FAKE_HOST})

    const cut = path.join(work, 'cut.log')
    writeFileSync(cut, console.slice(0, Math.floor(console.length / 2)))
    const refused = await runCommand(CaptureScript, ['--decode', cut, '-o', out])
    expect(refused.exitCode).toBe(EXIT.truncated)
    expect(refused.stderr).toMatch(/^nestreport: the capture in this log is cut off/)
    // Nothing new in the output directory, not even a temporary file.
    expect(readdirSync(out)).toEqual([name])
  })
})
