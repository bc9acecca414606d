/**
 * The streaming scanner: one state machine fed line by line, used by both the synchronous and the
 * streaming entry points so they give identical results. Memory is bounded: open reports keep only
 * parsed fields, lines longer than MAX_LINE are cut, and results beyond the caps are counted.
 *
 * Delimiting: a report runs from its header to `---[ end trace ]---` / `---[ end Kernel panic ]---`,
 * the next report header of the same context, a reboot/boot separator, GAP_LIMIT lines that do not
 * look like report body (its end is then its last body-like line), or CAP lines. With
 * CONFIG_PRINTK_CALLER (`[T123]`, `caller=`) each caller is its own context, so reports from two
 * CPUs printed at once are demultiplexed.
 */
import {detectHeader, type Header, looksLikeBody} from './detect.js'
import {classifyKvm} from './kvm.js'
import {detach, LineNormaliser} from './normalise.js'
import {ReportBuilder} from './report.js'
import type {AnalyseOptions, KernelLogAnalysis, KvmMessage, Oops} from './types.js'

export const MAX_LINE = 64 * 1024
const GAP_LIMIT = 30
const CAP = 1500
/** A `Kernel panic` this many lines after a report closed still belongs to it. */
const PANIC_WINDOW = 60
const DROPPED_RE = /^\*\* \d+ printk messages dropped \*\*/
const SEPARATOR_RE = /^={20,}\s*$/
const SANITIZERS: ReadonlySet<string> = new Set(['kasan', 'kfence', 'kcsan', 'kmsan'])
const CUT_HERE_RE = /^-+\[ cut here ?\]-+/
const REBOOT_RE = /^Linux version \d/

interface Recent {
  builder: ReportBuilder
  oops: Oops
  key: string
}

/** Results outlive the text they were parsed from: copy their strings out of the read chunks. */
function detachOops(o: Oops): Oops {
  const out: Oops = {...o, title: detach(o.title), header: detach(o.header), frames: o.frames.map(detach)}
  if (o.comm !== null) out.comm = detach(o.comm)
  if (o.rip !== null) out.rip = detach(o.rip)
  if (o.guiltyFrame !== null) out.guiltyFrame = detach(o.guiltyFrame)
  if (o.taint) out.taint = {raw: detach(o.taint.raw), flags: o.taint.flags}
  if (o.panicReason !== undefined) out.panicReason = detach(o.panicReason)
  if (o.caller !== undefined) out.caller = detach(o.caller)
  if (o.corruptedReason !== undefined) out.corruptedReason = detach(o.corruptedReason)
  return out
}

export class KernelLogScanner {
  private readonly normaliser = new LineNormaliser()
  private readonly open = new Map<string, ReportBuilder>()
  private recent: Recent | null = null
  private lineNo = 0
  private lastKey = ''
  private readonly oopses: Oops[] = []
  private readonly kvm: KvmMessage[] = []
  private droppedOopses = 0
  private droppedKvm = 0
  private panicked = false
  private readonly maxOopses: number
  private readonly maxKvm: number

  constructor(private readonly options: AnalyseOptions = {}) {
    this.maxOopses = options.maxOopses ?? 1000
    this.maxKvm = options.maxKvmMessages ?? 2000
  }

  /**
   * Feed one line (without its `\n`; a trailing `\r` is fine). `clean` promises the line holds no
   * control character or escape sequence, which skips that cleaning step.
   */
  push(rawLine: string, clean = false): void {
    const lineNo = ++this.lineNo
    const raw = rawLine.length > MAX_LINE ? rawLine.slice(0, MAX_LINE) : rawLine
    const n = this.normaliser.normalise(raw, clean)
    if (n === null) return
    if (n.boundary) {
      this.closeAll()
      return
    }
    const text = n.text

    const kvm = classifyKvm(text, n.kernel)
    if (kvm) {
      if (this.kvm.length < this.maxKvm) this.kvm.push({line: lineNo, pattern: kvm.id, severity: kvm.severity, text: detach(text.trim())})
      else this.droppedKvm++
    }
    if (!n.kernel) return

    const key = n.caller ?? (this.open.size > 0 ? this.lastKey : '')
    if (n.caller && n.caller !== this.lastKey) this.lastKey = detach(n.caller)
    const current = this.open.get(key)

    if (REBOOT_RE.test(text)) {
      this.closeAll()
      return
    }
    const h = detectHeader(text)
    if (h) {
      this.onHeader(h, text, lineNo, key, n.caller)
      return
    }
    if (!current) return
    if (CUT_HERE_RE.test(text)) {
      // `------------[ cut here ]------------` opens the next report of this context.
      this.close(key)
      return
    }
    if (SEPARATOR_RE.test(text)) {
      // `=====...` closes a sanitizer report (KASAN, KFENCE, KCSAN, KMSAN) and opens lockdep and
      // sanitizer banners: it never extends any other report.
      if (SANITIZERS.has(current.kind) && lineNo - current.startLine > 1) {
        current.addBody(text, lineNo)
        this.close(key)
      } else current.addOther(text)
      return
    }
    if (DROPPED_RE.test(text)) current.markDropped()
    if (looksLikeBody(text)) current.addBody(text, lineNo)
    else current.addOther(text)
    if (current.gap > GAP_LIMIT) this.close(key)
    else if (lineNo - current.startLine >= CAP) this.close(key, 'cap')
  }

  private onHeader(h: Header, text: string, lineNo: number, key: string, caller?: string): void {
    const current = this.open.get(key)
    switch (h.role) {
      case 'end':
        if (current) {
          current.addBody(text, lineNo)
          current.ended = true
          this.close(key)
        }
        return
      case 'end-panic':
        this.panicked = true
        if (current) {
          current.addBody(text, lineNo)
          this.close(key)
        } else if (this.recent && lineNo - this.recent.oops.endLine <= PANIC_WINDOW) {
          this.recent.oops.endLine = lineNo
          this.recent.oops.panicked = true
        }
        return
      case 'panic': {
        this.panicked = true
        const reason = h.detail ?? ''
        if (current) {
          current.addPanic(reason, text, lineNo)
          return
        }
        const r = this.recent
        if (r && lineNo - r.oops.endLine <= PANIC_WINDOW && (r.key === key || !caller)) {
          // Reopen the report that caused the panic so its `---[ end Kernel panic` joins it.
          r.oops.panicked = true
          r.oops.panicReason ??= reason
          r.oops.endLine = lineNo
          r.builder.addPanic(reason, text, lineNo)
          this.reopen(r, key)
          return
        }
        this.start(h, text, lineNo, key, caller)
        return
      }
      case 'die':
        if (current && current.acceptsDie(lineNo)) {
          current.addDie(h, text, lineNo)
          return
        }
        this.start(h, text, lineNo, key, caller)
        return
      case 'primary':
        if (current) {
          if (h.kind === 'hard-lockup' && current.kind === 'warning' && lineNo - current.startLine <= 5) {
            current.upgradeToHardLockup(h, lineNo)
            return
          }
          if (h.kind === 'mce' && current.kind === 'mce') {
            current.addBody(text, lineNo)
            return
          }
        }
        this.start(h, text, lineNo, key, caller)
        return
    }
  }

  private start(h: Header, text: string, lineNo: number, key: string, caller?: string): void {
    if (this.open.has(key)) this.close(key)
    this.open.set(key, new ReportBuilder(h, text, lineNo, caller))
    this.lastKey = key
  }

  private reopen(r: Recent, key: string): void {
    if (this.open.has(key)) this.close(key)
    const i = this.oopses.lastIndexOf(r.oops)
    if (i >= 0) this.oopses.splice(i, 1)
    else this.droppedOopses = Math.max(0, this.droppedOopses - 1)
    this.recent = null
    this.open.set(key, r.builder)
  }

  private close(key: string, endedBy?: 'cap' | 'eof'): void {
    const b = this.open.get(key)
    if (!b) return
    this.open.delete(key)
    const oops = detachOops(b.finish(endedBy))
    if (oops.panicked) this.panicked = true
    if (this.oopses.length < this.maxOopses) this.oopses.push(oops)
    else this.droppedOopses++
    this.recent = {builder: b, oops, key}
  }

  private closeAll(endedBy?: 'eof'): void {
    for (const key of [...this.open.keys()]) this.close(key, endedBy)
    this.recent = null
  }

  finish(): KernelLogAnalysis {
    this.closeAll('eof')
    this.oopses.sort((a, b) => a.startLine - b.startLine)
    return {
      file: this.options.file ?? '-',
      panicked: this.panicked,
      oopses: this.oopses,
      kvmMessages: this.kvm,
      lines: this.lineNo,
      droppedOopses: this.droppedOopses,
      droppedKvmMessages: this.droppedKvm,
    }
  }
}
