import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {chooseKernelLog, extraKernelLogs, hasLogLines, parseKernelLog} from '../../src/parse/kernel-log.js'
import {captureOf, type CaptureSpec} from '../helpers/load-capture.js'

const kernelLog = (name: string) => readFileSync(new URL(`../fixtures/kernel-log/${name}`, import.meta.url), 'utf8')
const restricted = {stdout: '', status: 'failed' as const, exitCode: 1}
const noJournal = {stdout: 'No journal files were found.\n-- No entries --\n', status: 'ok' as const}

function sourceOf(spec: CaptureSpec): string | null {
  return chooseKernelLog(new CaptureView(captureOf(spec)))?.source ?? null
}

describe('kernel log source', () => {
  it('prefers dmesg, then the journal, then kern.log, then messages', () => {
    const files = {'/var/log/kern.log': 'Nov 25 14:56:27 l1 kernel: [   12.3] hello\n', '/var/log/messages': 'Nov 25 14:56:27 l1 kernel: hello\n'}
    expect(sourceOf({files, commands: {dmesg: '[    0.000000] Linux version 6.1.0\n', 'journal-kernel': 'x kernel: y\n'}})).toBe('command:dmesg')
    expect(sourceOf({files, commands: {dmesg: restricted, 'journal-kernel': '[   12.345678] l1 kernel: Linux version 6.1.0\n'}})).toBe('command:journal-kernel')
    expect(sourceOf({files, commands: {dmesg: restricted, 'journal-kernel': noJournal}})).toBe('/var/log/kern.log')
    expect(sourceOf({files: {'/var/log/messages': files['/var/log/messages']}, commands: {dmesg: ''}})).toBe('/var/log/messages')
    expect(sourceOf({commands: {dmesg: restricted}})).toBeNull()
  })

  it('treats journalctl chatter as no log', () => {
    expect(hasLogLines('-- No entries --\n')).toBe(false)
    expect(hasLogLines('No journal files were found.\n-- No entries --\n')).toBe(false)
    expect(hasLogLines('-- Boot 0123 --\nNov 25 l1 kernel: x\n')).toBe(true)
  })
})

describe('parseKernelLog', () => {
  it('analyses the chosen log and keeps each report with its raw lines', () => {
    const text = kernelLog('nested-vmx-warning.txt')
    const facts = parseKernelLog(new CaptureView(captureOf({commands: {dmesg: restricted, 'journal-kernel': text}})))
    expect(facts.source).toBe('command:journal-kernel')
    expect(facts.lines).toBe(text.split('\n').length - 1)
    expect(facts.oopses.length).toBeGreaterThan(0)
    const warning = facts.oopses[0]
    expect(warning.source).toBe('command:journal-kernel')
    expect(warning.kvmRelated).toBe(true)
    const all = text.split('\n')
    expect(warning.text).toBe(all.slice(warning.startLine - 1, warning.endLine).join('\n'))
    expect(warning.text).toMatch(/nested_vmx_vmexit/)
    expect(facts.kvmMessages.some((m) => m.source === 'command:journal-kernel')).toBe(true)
  })

  it('analyses the previous boot and the libvirt QEMU logs as extra sources', () => {
    const view = new CaptureView(
      captureOf({
        commands: {dmesg: kernelLog('benign.txt'), 'journal-kernel-previous': kernelLog('gpf-panic.txt')},
        files: {'/var/log/libvirt/qemu/l2.log': kernelLog('libvirt-qemu.log')},
      }),
    )
    expect(extraKernelLogs(view).map((l) => l.source)).toEqual(['command:journal-kernel-previous', '/var/log/libvirt/qemu/l2.log'])
    const facts = parseKernelLog(view)
    expect(facts.source).toBe('command:dmesg')
    expect(facts.extraSources).toEqual(['command:journal-kernel-previous', '/var/log/libvirt/qemu/l2.log'])
    expect(facts.panicked).toBe(true)
    expect(facts.oopses.some((o) => o.source === 'command:journal-kernel-previous' && o.panicked)).toBe(true)
    expect(facts.kvmMessages.filter((m) => m.source === '/var/log/libvirt/qemu/l2.log').map((m) => m.pattern)).toEqual(
      expect.arrayContaining(['qemu-set-msr-failed', 'qemu-entry-failed']),
    )
  })

  it('returns an empty analysis when no log was readable', () => {
    expect(parseKernelLog(new CaptureView(captureOf({})))).toEqual({source: null, extraSources: [], lines: 0, panicked: false, oopses: [], kvmMessages: []})
  })
})
