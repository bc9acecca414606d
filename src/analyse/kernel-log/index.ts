/**
 * Kernel-log analyser: crash reports (oopses, WARNINGs, panics, sanitizer reports, hangs, stalls,
 * lockups, lockdep, MCE/NMI) and KVM / nested-virtualization messages, from every log shape users
 * paste. Used by `nestreport oops`, `collect` and `report`.
 */
import {KernelLogScanner} from './scanner.js'
import {LineSplitter} from './stream.js'
import type {AnalyseOptions, KernelLogAnalysis} from './types.js'

export type {AnalyseOptions, KernelLogAnalysis, KvmMessage, Oops, OopsKind, Severity, Taint, TaintFlag} from './types.js'
export {looksBinary} from './stream.js'
export {KVM_PATTERNS} from './kvm.js'
export {TAINT_NAMES} from './taint.js'
export {KernelLogScanner} from './scanner.js'

/** Analyse already-read text (synchronous; for inputs up to some MB). */
export function analyseKernelLog(text: string, options: AnalyseOptions = {}): KernelLogAnalysis {
  const scanner = new KernelLogScanner(options)
  const splitter = new LineSplitter((line, clean) => scanner.push(line, clean))
  splitter.pushText(text)
  splitter.end()
  return scanner.finish()
}

/** Analyse a byte or text stream in a single pass with memory that does not grow with the input. */
export async function analyseKernelLogStream(
  stream: NodeJS.ReadableStream | AsyncIterable<Buffer | Uint8Array | string>,
  options: AnalyseOptions = {},
): Promise<KernelLogAnalysis> {
  const scanner = new KernelLogScanner(options)
  const splitter = new LineSplitter((line, clean) => scanner.push(line, clean))
  for await (const chunk of stream as AsyncIterable<Buffer | Uint8Array | string>) {
    if (typeof chunk === 'string') splitter.pushText(chunk)
    else splitter.pushBytes(chunk)
  }
  splitter.end()
  return scanner.finish()
}
