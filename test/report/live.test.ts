/**
 * End to end on this machine: collect it with the collect library, combine its bundle with
 * `report`, and run `check` live and on the unpacked bundle. Expectations come from what the machine itself says (/proc, /sys),
 * never from hard-coded values, since the machine can change between sessions.
 */
import {existsSync, readFileSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collect} from '../../src/collect.js'
import Check, {type CheckResult} from '../../src/commands/check.js'
import {EXIT} from '../../src/lib/errors.js'
import {buildCombinedReport} from '../../src/report.js'
import {archiveNames, runCommand, tempDir} from '../helpers/report-run.js'

const cpuFlags = (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/)
const hasVmxSvm = cpuFlags.includes('vmx') || cpuFlags.includes('svm')
const pvmLoaded = existsSync('/sys/module/kvm_pvm')
const devKvm = existsSync('/dev/kvm')

let tmp: {dir: string; done: () => Promise<void>}
beforeAll(async () => {
  tmp = await tempDir('nestreport-live-')
})
afterAll(() => tmp.done())

describe('this machine, end to end', () => {
  it('collect -> bundle -> report gives a combined report of this level', async () => {
    const collected = await collect({outputDir: path.join(tmp.dir, 'bundles'), level: 'auto', timeoutSeconds: 10})
    const bundle = collected.bundlePath
    const result = await buildCombinedReport({bundles: [bundle], outputDir: path.join(tmp.dir, 'out')})
    const [level] = result.model.levels
    expect(level.bundle).toBe(path.basename(bundle))
    expect(level.level).toBe(collected.model.level.effective ?? level.level)
    expect(result.model.chain).toContain(level.level)
    const ids = result.model.findings.map((f) => f.id)
    expect(ids.includes('KVM_NON_VMX_SVM_MODULE')).toBe(pvmLoaded && !hasVmxSvm)
    expect(result.rendered).toContain(`# Nested virtualization report: ${level.level}`)
    const names = await archiveNames(result.archivePath)
    const top = path.basename(result.archivePath, '.tar.gz')
    expect(names).toContain(`${top}/${level.level}/manifest.json`)
    expect(names).toContain(`${top}/${level.level}/root/proc/cpuinfo`)
  })

  it('the collected bundle, unpacked, gives check the same findings as the live machine', async () => {
    const collected = await collect({outputDir: path.join(tmp.dir, 'bundles2'), level: 'auto', timeoutSeconds: 10})
    const unpacked = path.join(tmp.dir, 'unpacked')
    await mkdir(unpacked)
    const {x: extract} = await import('tar')
    await extract({file: collected.bundlePath, cwd: unpacked})
    const top = path.join(unpacked, path.basename(collected.bundlePath, '.tar.gz'))
    const fromBundle = JSON.parse((await runCommand(Check, ['--sysroot', top, '--json'])).stdout) as CheckResult
    const live = JSON.parse((await runCommand(Check, ['--json'])).stdout) as CheckResult
    const key = (r: CheckResult) => r.findings.map((f) => `${f.severity} ${f.id} ${f.levels.join(',')}`).sort()
    expect(fromBundle.level).toBe(live.level)
    expect(key(fromBundle)).toEqual(key(live))
    // The bundle file itself, without unpacking.
    const fromFile = JSON.parse((await runCommand(Check, ['--sysroot', collected.bundlePath, '--json'])).stdout) as CheckResult
    expect(key(fromFile)).toEqual(key(live))
  })

  it('check --json agrees with what the machine says, and fails (exit 3) exactly when a check fails', async () => {
    const run = await runCommand(Check, ['--json'])
    const result = JSON.parse(run.stdout) as CheckResult
    const ids = result.findings.map((f) => f.id)
    expect(ids.includes('KVM_NON_VMX_SVM_MODULE')).toBe(pvmLoaded && !hasVmxSvm)
    if (result.level === 'L0' || result.level === 'L1') {
      expect(ids.includes('DEV_KVM_MISSING')).toBe(!devKvm)
      if (devKvm) expect(ids.some((id) => id === 'DEV_KVM_OK' || id === 'DEV_KVM_INACCESSIBLE')).toBe(true)
    }
    if (result.level === 'L1' && !hasVmxSvm) expect(ids).toContain('VMX_NOT_EXPOSED')
    expect(result.summary.fail > 0).toBe(run.exitCode === EXIT.checkFailed)
    expect(run.exitCode === EXIT.ok || run.exitCode === EXIT.checkFailed).toBe(true)
  })

  it('check prints one PASS/WARN/FAIL/INFO line per check and a summary', async () => {
    const run = await runCommand(Check, [])
    const lines = run.stdout.split('\n')
    const checkLines = lines.filter((l) => /^(PASS|WARN|FAIL|INFO) {2}[A-Z0-9_]+ {2,}\S/.test(l))
    expect(checkLines.length).toBeGreaterThan(0)
    const summary = lines.find((l) => /^\d+ FAIL, \d+ WARN, \d+ INFO, \d+ PASS$/.test(l))!
    const [fail, warn, info, pass] = summary.match(/\d+/g)!.map(Number)
    expect(fail + warn + info + pass).toBe(checkLines.length)
    expect(checkLines.filter((l) => l.startsWith('FAIL')).length).toBe(fail)
    expect(run.exitCode).toBe(fail > 0 ? EXIT.checkFailed : EXIT.ok)
    if (pvmLoaded && !hasVmxSvm) expect(checkLines.some((l) => /^WARN {2}KVM_NON_VMX_SVM_MODULE /.test(l))).toBe(true)
  })
})
