/**
 * The kernel log of this level: pick the best source (dmesg, then this boot's journal, then the
 * syslog files), analyse it with the kernel-log analyser, and analyse the previous boot's journal
 * and the libvirt QEMU logs beside it (a crash that rebooted the level, QEMU-side KVM errors).
 */
import {analyseKernelLog, type KernelLogAnalysis} from '../analyse/kernel-log/index.js'
import type {CaptureView} from '../capture/view.js'
import type {LevelModel} from '../model/level.js'
import {lines} from './sourced.js'

type KernelLogFacts = LevelModel['kernelLog']

export interface LogText {
  /** "command:dmesg", "command:journal-kernel", "/var/log/kern.log", ... */
  source: string
  text: string
}

/** Text that holds log lines, not just journalctl's "-- No entries --" or "No journal files were found." */
export function hasLogLines(text: string): boolean {
  return lines(text).some((l) => l.trim() !== '' && !/^-- .* --$/.test(l.trim()) && !/^No journal files were found/.test(l))
}

function commandLog(view: CaptureView, id: string): LogText | null {
  const out = view.commandOutput(id)
  return out !== null && hasLogLines(out) ? {source: `command:${id}`, text: out} : null
}

function fileLog(view: CaptureView, path: string): LogText | null {
  const text = view.text(path)
  return text !== null && hasLogLines(text) ? {source: path, text} : null
}

/** The kernel log of this boot, in order of preference; null when none was readable. */
export function chooseKernelLog(view: CaptureView): LogText | null {
  return commandLog(view, 'dmesg') ?? commandLog(view, 'journal-kernel') ?? fileLog(view, '/var/log/kern.log') ?? fileLog(view, '/var/log/messages')
}

export function extraKernelLogs(view: CaptureView): LogText[] {
  const extras: LogText[] = []
  const previous = commandLog(view, 'journal-kernel-previous')
  if (previous) extras.push(previous)
  for (const name of view.list('/var/log/libvirt/qemu').filter((n) => n.endsWith('.log'))) {
    const log = fileLog(view, `/var/log/libvirt/qemu/${name}`)
    if (log) extras.push(log)
  }
  return extras
}

function summarise(log: LogText, analysis: KernelLogAnalysis, logLines: string[]): Pick<KernelLogFacts, 'oopses' | 'kvmMessages'> {
  return {
    oopses: analysis.oopses.map((o) => ({
      title: o.title,
      kind: o.kind,
      startLine: o.startLine,
      endLine: o.endLine,
      stackHash: o.stackHash,
      kvmRelated: o.kvmRelated,
      panicked: o.panicked,
      text: logLines.slice(Math.max(0, o.startLine - 1), Math.max(o.startLine, o.endLine)).join('\n'),
      source: log.source,
    })),
    kvmMessages: analysis.kvmMessages.map((m) => ({line: m.line, pattern: m.pattern, severity: m.severity, text: m.text, source: log.source})),
  }
}

function analyse(log: LogText): {analysis: KernelLogAnalysis | null; facts: Pick<KernelLogFacts, 'oopses' | 'kvmMessages'>; lineCount: number} {
  const logLines = lines(log.text)
  try {
    const analysis = analyseKernelLog(log.text, {file: log.source})
    return {analysis, facts: summarise(log, analysis, logLines), lineCount: logLines.length}
  } catch {
    // The analyser is built to take any text; should it still fail, the report keeps the rest.
    return {analysis: null, facts: {oopses: [], kvmMessages: []}, lineCount: logLines.length}
  }
}

export function parseKernelLog(view: CaptureView, primary: LogText | null = chooseKernelLog(view), extras: LogText[] = extraKernelLogs(view)): KernelLogFacts {
  const main = primary ? analyse(primary) : null
  const others = extras.map((log) => ({log, ...analyse(log)}))
  const previousPanicked = others.some((o) => o.log.source === 'command:journal-kernel-previous' && o.analysis?.panicked)
  return {
    source: primary?.source ?? null,
    extraSources: extras.map((e) => e.source),
    lines: main?.lineCount ?? 0,
    panicked: Boolean(main?.analysis?.panicked) || previousPanicked,
    oopses: [...(main?.facts.oopses ?? []), ...others.flatMap((o) => o.facts.oopses)],
    kvmMessages: [...(main?.facts.kvmMessages ?? []), ...others.flatMap((o) => o.facts.kvmMessages)],
  }
}
