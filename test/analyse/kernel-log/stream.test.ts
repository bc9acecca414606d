import {gzipSync} from 'node:zlib'
/** Streaming equals synchronous analysis; binary detection; invalid UTF-8 and long lines. */
import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {analyseKernelLog, analyseKernelLogStream, looksBinary} from '../../../src/analyse/kernel-log/index.js'
import {fixture, SHAPES, shaped, fixtureLines} from './helpers.js'

function chunked(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = []
  let i = 0
  let k = 0
  while (i < buf.length) {
    const n = sizes[k++ % sizes.length]
    out.push(buf.subarray(i, i + n))
    i += n
  }
  return out
}

describe('streaming', () => {
  const text =
    fixture('nested-vmx-warning.txt') +
    shaped(fixtureLines('hangs-and-stalls.txt'), SHAPES['dmesg with caller id']) +
    shaped(fixtureLines('gpf-panic.txt'), SHAPES['journalctl -k (short)']) +
    'ümlaut ✓ café — 日本語 line\n' +
    fixture('kvm-messages.txt')

  it('gives the same analysis as the synchronous API whatever the chunking (multi-byte characters split)', async () => {
    const sync = analyseKernelLog(text, {file: 'x'})
    expect(sync.oopses.length).toBeGreaterThanOrEqual(5)
    for (const sizes of [[1], [3, 7, 1], [4096], [65536]]) {
      const got = await analyseKernelLogStream(Readable.from(chunked(Buffer.from(text), sizes)), {file: 'x'})
      expect(got).toEqual(sync)
    }
  })

  it('accepts string chunks and async iterables', async () => {
    async function* gen() {
      for (const l of text.split(/(?<=\n)/)) yield l
    }
    expect(await analyseKernelLogStream(gen(), {file: 'x'})).toEqual(analyseKernelLog(text, {file: 'x'}))
  })

  it('survives invalid UTF-8 and a line without a final newline', async () => {
    const bad = Buffer.concat([Buffer.from('[    1.0] Hypervisor detected: KVM\n[    1.1] \xff\xfe junk '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('\n[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000008\n[    2.1] RIP: 0010:vmx_vcpu_run+0x1f/0x30 [kvm_intel]')])
    const a = await analyseKernelLogStream(Readable.from([bad]))
    expect(a.kvmMessages.map((k) => k.line)).toEqual([1])
    expect(a.oopses.map((o) => [o.title, o.startLine, o.endLine])).toEqual([['BUG: kernel NULL pointer dereference in vmx_vcpu_run', 3, 4]])
  })

  it('cuts overlong lines instead of growing', async () => {
    const long = 'x'.repeat(300_000)
    const a = await analyseKernelLogStream(Readable.from([`${long}\n`, 'Hypervisor detected: KVM\n']))
    expect(a.lines).toBe(2)
    expect(a.kvmMessages[0].line).toBe(2)
  })

  it('caps the number of kept reports and counts the rest', () => {
    const one = 'WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n---[ end trace 0000000000000000 ]---\n'
    const a = analyseKernelLog(one.repeat(30), {maxOopses: 10})
    expect(a.oopses).toHaveLength(10)
    expect(a.droppedOopses).toBe(20)
  })
})

describe('looksBinary', () => {
  it('accepts text with a few NULs, refuses binary', () => {
    expect(looksBinary(Buffer.from(fixture('nested-vmx-warning.txt')))).toBe(false)
    expect(looksBinary(Buffer.from(`${'[    1.0] ok\n'.repeat(100)}\0\0\0`))).toBe(false)
    const journal = Buffer.alloc(8192)
    journal.write('LPKSHHRH', 0) // systemd journal file magic, then mostly binary
    for (let i = 8; i < journal.length; i += 3) journal[i] = i % 7
    expect(looksBinary(journal)).toBe(true)
    expect(looksBinary(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(true)
    expect(looksBinary(Buffer.alloc(0))).toBe(false)
    // Random or compressed bytes: about 11 % control bytes, half invalid UTF-8.
    let seed = 42
    const random = Buffer.from(Array.from({length: 3000}, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 16 & 0xff))
    expect(looksBinary(random)).toBe(true)
    expect(looksBinary(gzipSync(Buffer.from(fixture('nested-vmx-warning.txt').repeat(20))))).toBe(true)
    // Text in other scripts and a little mojibake stay text.
    const text = Buffer.from('[    1.0] usb 1-1: Product: Clé USB «Überspeicher» 日本語\n'.repeat(50), 'utf8')
    expect(looksBinary(Buffer.concat([text, Buffer.from([0xff, 0xfe, 0xc3])]))).toBe(false)
  })
})
