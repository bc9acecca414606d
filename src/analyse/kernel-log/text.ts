/**
 * Reading log inputs for the analyser (file or stdin, streamed, binary check on the first 64 KiB)
 * and the human rendering of an analysis.
 */
import {createReadStream} from 'node:fs'

import {inputOpenError, NestreportError} from '../../lib/errors.js'
import {analyseKernelLogStream} from './index.js'
import {looksBinary} from './stream.js'
import type {KernelLogAnalysis, Oops} from './types.js'

const SNIFF = 64 * 1024

/** Yield the stream's chunks, refusing it with `binaryLog` when its first 64 KiB look binary. */
export async function* sniffed(
  source: AsyncIterable<Buffer | string>,
  name: string,
): AsyncGenerator<Buffer | string> {
  const head: (Buffer | string)[] = []
  let size = 0
  let checked = false
  for await (const chunk of source) {
    if (checked) {
      yield chunk
      continue
    }
    head.push(chunk)
    size += chunk.length
    if (size >= SNIFF) {
      check(head, name)
      checked = true
      yield* head
      head.length = 0
    }
  }
  if (!checked) {
    check(head, name)
    yield* head
  }
}

function check(head: (Buffer | string)[], name: string): void {
  const buf = Buffer.concat(head.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))
  if (looksBinary(buf)) {
    throw new NestreportError('binaryLog', `${name}: looks like a binary file, not a text log (a journal file? export it with journalctl -k)`)
  }
}

/** Analyse a file (or `-` = stdin) as a stream; user-caused failures are NestreportErrors. */
export async function analyseKernelLogInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<KernelLogAnalysis> {
  const name = path === '-' ? '-' : path
  const source = path === '-' ? (stdin as AsyncIterable<Buffer | string>) : createReadStream(path, {highWaterMark: 64 * 1024})
  try {
    return await analyseKernelLogStream(sniffed(source, name), {file: name})
  } catch (error) {
    throw inputOpenError(name, error)
  }
}

function taintText(o: Oops): string {
  if (!o.taint) return ''
  if (o.taint.flags.length === 0) return 'not tainted'
  return `tainted ${o.taint.flags.map((f) => `${f.letter} (${f.name})`).join(', ')}`
}

/** Plain-text rendering for `nestreport oops` without --json. */
export function formatAnalysis(a: KernelLogAnalysis, options: {frames?: number} = {}): string {
  const maxFrames = options.frames ?? 8
  const out: string[] = []
  const kvmCrashes = a.oopses.filter((o) => o.kvmRelated).length
  out.push(
    `${a.file}: ${a.oopses.length} crash report${a.oopses.length === 1 ? '' : 's'}` +
      (kvmCrashes ? ` (${kvmCrashes} KVM-related)` : '') +
      (a.panicked ? ', kernel panicked' : '') +
      `, ${a.kvmMessages.length} KVM/nested-virtualization line${a.kvmMessages.length === 1 ? '' : 's'}` +
      ` (${a.lines} lines read)`,
  )
  a.oopses.forEach((o, i) => {
    const flags = [o.kind, o.kvmRelated ? 'KVM' : '', o.panicked ? 'panicked' : '', o.corrupted ? `suspect: ${o.corruptedReason}` : '']
      .filter(Boolean)
      .join(', ')
    out.push(`  ${i + 1}. ${o.title}  [${flags}]  lines ${o.startLine}-${o.endLine}`)
    out.push(`     ${o.header}`)
    const ctx = [
      o.cpu !== null ? `cpu ${o.cpu}` : '',
      o.pid !== null ? `pid ${o.pid}` : '',
      o.comm !== null ? `comm ${o.comm}` : '',
      taintText(o),
    ].filter(Boolean)
    if (ctx.length) out.push(`     ${ctx.join('  ')}`)
    out.push(`     ${o.rip ? `at ${o.rip}  ` : ''}hash ${o.stackHash}`)
    if (o.frames.length) {
      const more = o.frames.length > maxFrames ? ` ... (+${o.frames.length - maxFrames})` : ''
      out.push(`     frames: ${o.frames.slice(0, maxFrames).join(' < ')}${more}`)
    }
    if (o.panicReason) out.push(`     Kernel panic - not syncing: ${o.panicReason}`)
  })
  if (a.droppedOopses) out.push(`  ... ${a.droppedOopses} more crash reports not kept`)
  if (a.kvmMessages.length) {
    out.push('  KVM / nested-virtualization lines:')
    for (const k of a.kvmMessages) out.push(`    ${String(k.line).padStart(6)}  ${k.severity.padEnd(7)} ${k.pattern.padEnd(22)} ${k.text}`)
    if (a.droppedKvmMessages) out.push(`    ... ${a.droppedKvmMessages} more not kept`)
  }
  return out.join('\n')
}
