import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {formatCheckLines} from '../../src/analyse/findings/check-format.js'
import Check, {type CheckResult} from '../../src/commands/check.js'
import {EXIT} from '../../src/lib/errors.js'
import {SYSROOTS_DIR} from '../helpers/load-capture.js'
import {intelL0Model} from '../helpers/level-model.js'
import {checkLevel} from '../../src/analyse/findings/index.js'
import {edit} from '../helpers/combined-fixtures.js'
import {runCommand} from '../helpers/report-run.js'

const fixture = (name: string) => path.join(SYSROOTS_DIR, name)

describe('nestreport check --sysroot (capture directories)', () => {
  it('an Intel L0 with nested off fails and exits 3', async () => {
    const run = await runCommand(Check, ['--sysroot', fixture('intel-l0-nested-off')])
    expect(run.exitCode).toBe(EXIT.checkFailed)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe('nestreport check: this machine is L0 (bare-metal-host)')
    expect(lines).toContain('FAIL  NESTED_DISABLED_L0  Nested virtualization is disabled on L0 (kvm_intel nested=N)')
    expect(lines.some((l) => /^ {6}fix: On L0: echo 'options kvm_intel nested=1' > \/etc\/modprobe\.d\/kvm\.conf/.test(l))).toBe(true)
    expect(lines.some((l) => /^PASS {2}SHADOW_VMCS_ON +shadow VMCS is on at L0$/.test(l))).toBe(true)
    expect(lines.at(-2)).toMatch(/^1 FAIL, \d+ WARN, \d+ INFO, \d+ PASS$/)
  })

  it('--json gives the findings and the summary; the PVM L1 warns but does not fail', async () => {
    const run = await runCommand(Check, ['--sysroot', fixture('pvm-l1'), '--json'])
    expect(run.exitCode).toBe(0)
    const result = JSON.parse(run.stdout) as CheckResult
    expect(result.level).toBe('L1')
    expect(result.summary.fail).toBe(0)
    expect(result.findings.find((f) => f.id === 'KVM_NON_VMX_SVM_MODULE')?.severity).toBe('warn')
    expect(result.findings.every((f) => f.id !== 'LEVEL_MISSING')).toBe(true)
  })

  it('--level corrects the detected level', async () => {
    const run = await runCommand(Check, ['--sysroot', fixture('tcg-l2'), '--level', 'L1', '--json'])
    const result = JSON.parse(run.stdout) as CheckResult
    expect(result.level).toBe('L1')
    // As an L1, the missing /dev/kvm is a failure; it was not as an L2.
    expect(result.findings.find((f) => f.id === 'DEV_KVM_MISSING')?.severity).toBe('fail')
    expect(run.exitCode).toBe(EXIT.checkFailed)
  })

  it('a missing sysroot is one line and its own exit status', async () => {
    const run = await runCommand(Check, ['--sysroot', fixture('does-not-exist')])
    expect(run.exitCode).toBe(EXIT.inputMissing)
    expect(run.stderr).toMatch(/^nestreport: sysroot .*does-not-exist: not found\n$/)
  })
})

describe('check lines', () => {
  it('align ids, hide the evidence of passes unless verbose, and end with the summary', () => {
    const findings = checkLevel(edit(intelL0Model(), (m) => (m.kvm.nesting.ept = false)))
    const text = formatCheckLines(findings, {level: 'L0', role: 'bare-metal-host'})
    const checkLines = text.split('\n').filter((l) => /^(PASS|WARN|FAIL|INFO) /.test(l))
    expect(new Set(checkLines.map((l) => l.indexOf(' ', 6 + Math.max(...findings.map((f) => f.id.length)))))).toHaveProperty('size', 1)
    expect(text).toContain('WARN  EPT_OFF')
    expect(text).not.toContain('      - /sys/module/kvm_intel/parameters/nested')
    expect(formatCheckLines(findings, {level: 'L0', role: 'bare-metal-host', verbose: true})).toContain('      - /sys/module/kvm_intel/parameters/nested: nested = Y')
  })
})
