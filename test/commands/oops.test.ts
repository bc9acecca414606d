import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import Oops from '../../src/commands/oops.js'
import {EXIT} from '../../src/lib/errors.js'
import {FIXTURES} from '../analyse/kernel-log/helpers.js'
import {runCommand} from '../helpers/report-run.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nestreport-oops-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function withStdin<T>(text: string, fn: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(process, 'stdin')!
  Object.defineProperty(process, 'stdin', {value: Object.assign(Readable.from([Buffer.from(text)]), {isTTY: false}), configurable: true})
  try {
    return await fn()
  } finally {
    Object.defineProperty(process, 'stdin', original)
  }
}

describe('nestreport oops', () => {
  it('prints the reports and KVM lines of a file', async () => {
    const {stdout, exitCode} = await runCommand(Oops, [path.join(FIXTURES, 'nested-vmx-warning.txt')])
    expect(exitCode).toBe(0)
    expect(stdout).toContain('1 crash report (1 KVM-related)')
    expect(stdout).toContain('WARNING in nested_vmx_vmexit')
    expect(stdout).toMatch(/comm CPU 0\/KVM\s+tainted W \(WARN\), O \(OOT_MODULE\)/)
    expect(stdout).toMatch(/vmx-insn-failed\s+kvm_intel: vmwrite failed/)
  })

  it('--json prints one object per file with the documented fields', async () => {
    const {stdout} = await runCommand(Oops, ['--json', path.join(FIXTURES, 'gpf-panic.txt'), path.join(FIXTURES, 'benign.txt')])
    const files = JSON.parse(stdout)
    expect(files.map((f: {file: string}) => path.basename(f.file))).toEqual(['gpf-panic.txt', 'benign.txt'])
    expect(files[0]).toMatchObject({panicked: true, kvmMessages: []})
    const o = files[0].oopses[0]
    for (const key of ['title', 'kind', 'header', 'startLine', 'endLine', 'panicked', 'corrupted', 'taint', 'cpu', 'pid', 'comm', 'rip', 'frames', 'stackHash', 'kvmRelated']) {
      expect(o, key).toHaveProperty(key)
    }
    expect(o.title).toBe('general protection fault in kvm_mmu_page_fault')
    expect(files[1].oopses).toEqual([])
  })

  it('reads stdin for "-" and when no file is given', async () => {
    const log = '[   10.000001] WARNING: CPU: 1 PID: 42 at arch/x86/kvm/vmx/nested.c:4563 nested_vmx_vmexit+0x6f/0x7a0 [kvm_intel]\n[   10.000006] ---[ end trace 0000000000000000 ]---\n'
    for (const argv of [['--json', '-'], ['--json']]) {
      const {stdout, exitCode} = await withStdin(log, () => runCommand(Oops, argv))
      expect(exitCode).toBe(0)
      const [f] = JSON.parse(stdout)
      expect(f.file).toBe('-')
      expect(f.oopses.map((o: {title: string; startLine: number}) => [o.title, o.startLine])).toEqual([['WARNING in nested_vmx_vmexit', 1]])
    }
  })

  it('refuses a binary or missing file with one line and goes on with the others', async () => {
    const bin = path.join(dir, 'system.journal')
    await writeFile(bin, Buffer.concat([Buffer.from('LPKSHHRH'), Buffer.alloc(70_000, 1)]))
    const missing = path.join(dir, 'nope.log')
    const {stdout, stderr, exitCode} = await runCommand(Oops, [bin, missing, path.join(FIXTURES, 'warning-2025-layout.txt')])
    expect(stderr.trim().split('\n')).toEqual([
      `nestreport: ${bin}: looks like a binary file, not a text log (a journal file? export it with journalctl -k)`,
      `nestreport: ${missing}: no such file`,
    ])
    expect(stdout).toContain('WARNING in svm_set_nested_state')
    expect(exitCode).toBe(EXIT.binaryLog)
  })

  it('under --json a refused file is an entry with its error and the exit code stays distinct', async () => {
    const missing = path.join(dir, 'nope.log')
    const {stdout, exitCode} = await runCommand(Oops, ['--json', missing])
    expect(JSON.parse(stdout)).toEqual([{file: missing, error: {code: 'E_INPUT_MISSING', exitCode: EXIT.inputMissing, message: `${missing}: no such file`}}])
    expect(exitCode).toBe(EXIT.inputMissing)
  })
})
