/**
 * One crash report being read: fields are extracted line by line as the report streams past, so
 * nothing but the parsed fields (and at most MAX_FRAMES frames) is kept in memory.
 */
import type {Header} from './detect.js'
import {
  bare,
  canonicalFunc,
  type Frame,
  frameLabel,
  guiltyFrame,
  makeTitle,
  parseFrameLine,
  stackHash,
  titleStem,
} from './frames.js'
import {NOT_TAINTED, decodeTaintField, decodeVerboseTaint} from './taint.js'
import type {Oops, OopsKind, Taint} from './types.js'

const MAX_FRAMES = 64

const FUNC = String.raw`\.?([A-Za-z_$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[([\w-]+)\])?`
const CPU_LINE_RE = /^CPU: (\d+) +(?:UID: \d+ +)?PID: (\d+) +Comm: (.*?) +(?:Kdump: loaded +)?(Not tainted|Tainted: ?([A-Z ]*?))-*\s+(?![A-Z](?:[\s-]|$))\S/
const PID_LINE_RE = /^Pid: (\d+), comm: (.*?) +(Not tainted|Tainted: ?([A-Z ]*?))-*\s+(?![A-Z](?:[\s-]|$))\S/
const PROCESS_RE = /^Process (.+?) \(pid: (\d+),/
const LOCKDEP_RELEASE_RE = /^\S+ #\d+ (Not tainted|Tainted: ?([A-Z ]*?))\s*(?:$|[\d(])/
const LOCKDEP_TASK_RE = /^(\S+)\/(\d+) (?:is trying to|just changed|is exiting|is leaving|is freeing|has held|is trying)/
/** The line after which lockdep prints the acquire/release site: the syzbot-style title function. */
const LOCKDEP_SITE_INTRO_RE = /(?:is trying to (?:acquire|release) lock|\] takes:|just changed the state of lock:|is trying to register non-static key)/
const LOCKDEP_SITE_RE = new RegExp(String.raw`(?:at: |^)(?:\[?<[0-9a-f]+>\] )?${FUNC}`)
/** hung_task's own line: `      Tainted: G        W          6.8.0-45-generic #45-Ubuntu`. */
const BARE_TAINT_RE = /^Tainted: ([A-Z ]*?)-*\s+(?![A-Z](?:[\s-]|$))\S/
const OLD_CPU_RE = /^CPU:?\s+(\d+)\s*$|EFLAGS: [0-9a-f]+ CPU: (\d+)/
const RIP_RES: RegExp[] = [
  new RegExp(String.raw`^RIP: [0-9a-f]{4}:(?:\[<[0-9a-f]+>\]\s+\[<[0-9a-f]+>\]\s+)?${FUNC}`),
  new RegExp(String.raw`^EIP is at ${FUNC}`),
  new RegExp(String.raw`^EIP: \[<[0-9a-f]+>\] ${FUNC}`),
  new RegExp(String.raw`^IP: \[<[0-9a-f]+>\] (?::[\w-]+:)?${FUNC}`),
  new RegExp(String.raw`^IP: ${FUNC}`),
  new RegExp(String.raw`^PC is at ${FUNC}`),
  new RegExp(String.raw`^pc : ${FUNC}`),
  new RegExp(String.raw`^pc : \[<[0-9a-f]+>\] ${FUNC}`),
  new RegExp(String.raw`^NIP \[[0-9a-f]+\] ${FUNC}`),
  new RegExp(String.raw`^Krnl PSW : [0-9a-f]+ [0-9a-f]+ \(${FUNC}\)`),
  new RegExp(String.raw`^epc\s*: [0-9a-f]+ ${FUNC}`),
]
const TRACE_START_RE = /^(?:Call [Tt]race|Backtrace|stack backtrace|Call trace|Stack trace|\[<[0-9a-f]+>\] \(dump_backtrace|Exception stack)/
const KASAN_ACCESS_RE = /^(Read|Write) of size \d+/
const KVM_FILE_RE = /(?:^|\/)(?:arch\/\w+\/kvm|virt\/kvm)\//
const KVM_MOD_RE = /^(?:kvm|kvm_intel|kvm_amd|kvm_hv|kvm_pr|kvm_arm)$/
const KVM_FUNC_RE = /^(?:kvm_|vmx_|svm_|nested_vmx|nested_svm|nested_vmcb|enter_svm|vcpu_enter_guest|vcpu_run|handle_(?:ept|exception_nmi|vmx)|__vmx_|__svm_|vmx\w*_vcpu|kvm\w*_vcpu|vmread_error|vmwrite_error|vmx_insn_failed)/
const QEMU_COMM_RE = /^(?:CPU \d+\/KVM|qemu-\S+|qemu|kvm-nx-lpage-re|kvm-pit\/\d+|kvm)$/

export class ReportBuilder {
  kind: OopsKind
  readonly header: string
  readonly startLine: number
  endLine: number
  /** Lines since the last line that looked like report body. */
  gap = 0
  readonly caller?: string
  hasDie = false
  panicked = false
  panicReason?: string
  ended = false
  corruptedReason?: string

  private headerFunc?: string
  private file?: string
  private detail?: string
  private access?: string
  private cpu: number | null = null
  private pid: number | null = null
  private comm: string | null = null
  private taint: Taint | null = null
  private verboseTaint: Taint | null = null
  private rip: string | null = null
  private ripFunc?: string
  private frames: Frame[] = []
  /** 0 = before the first trace, 1 = in it, 2 = after it (later traces ignored). */
  private trace = 0
  private inIrq = false
  private untracedFrames: Frame[] = []
  private lineCount = 1
  private sawWarnFuncLine = false
  /** Lines left in which the lockdep acquire/release site (`at: [<..>] f+0x..`) may appear. */
  private lockdepSiteIn = 0

  constructor(h: Header, text: string, line: number, caller?: string) {
    this.kind = h.kind
    this.header = text.trim()
    this.startLine = line
    this.endLine = line
    this.caller = caller
    this.headerFunc = h.func
    this.file = h.file
    this.detail = h.detail
    if (h.cpu !== undefined && !Number.isNaN(h.cpu)) this.cpu = h.cpu
    if (h.pid !== undefined && !Number.isNaN(h.pid)) this.pid = h.pid
    if (h.comm !== undefined) this.comm = h.comm
    if (h.role === 'die') {
      this.hasDie = true
      if ((h.dieCount ?? 1) > 1) this.corruptedReason = `secondary oops [#${h.dieCount}]`
    }
    if (h.role === 'panic') {
      this.panicked = true
      this.panicReason = h.detail
    }
  }

  get lines(): number {
    return this.lineCount
  }

  /** A die line joins a report whose header came just before (`BUG: ...` then `Oops: 0000 [#1]`). */
  acceptsDie(line: number): boolean {
    return !this.hasDie && line - this.startLine <= 20 && this.trace === 0 &&
      ['null-deref', 'page-fault', 'kernel-bug', 'bug', 'kasan', 'kfence', 'ubsan', 'double-fault'].includes(this.kind)
  }

  addDie(h: Header, text: string, line: number): void {
    this.hasDie = true
    if (this.kind === 'bug' && h.kind !== 'oops' && h.kind !== 'invalid-opcode') this.kind = h.kind
    if ((h.dieCount ?? 1) > 1 && !this.corruptedReason) this.corruptedReason = `secondary oops [#${h.dieCount}]`
    this.addBody(text, line)
  }

  addPanic(reason: string, text: string, line: number): void {
    this.panicked = true
    this.panicReason ??= reason
    this.addBody(text, line)
  }

  /** `Watchdog detected hard LOCKUP` printed right after the watchdog's own WARNING (old kernels). */
  upgradeToHardLockup(h: Header, line: number): void {
    this.kind = 'hard-lockup'
    this.headerFunc = undefined
    if (h.cpu !== undefined) this.cpu = h.cpu
    this.endLine = line
    this.gap = 0
  }

  /** A line that looks like report body: extends the report. */
  addBody(text: string, line: number): void {
    this.endLine = line
    this.gap = 0
    this.feed(text)
  }

  /** A line inside the report's window that does not look like body: parsed, not counted. */
  addOther(text: string): void {
    this.gap++
    this.feed(text)
  }

  markDropped(): void {
    this.corruptedReason ??= 'printk messages dropped inside the report'
  }

  private feed(raw: string): void {
    this.lineCount++
    const text = raw.trimStart()
    if (text.length === 0) return
    let m: RegExpExecArray | null
    const c0 = text[0]

    if (this.trace === 1 || this.trace === 0) {
      if (TRACE_START_RE.test(text)) {
        if (this.trace === 0 || this.frames.length === 0) this.trace = 1
        else this.trace = 2
        return
      }
    }
    if (this.trace === 1 || (this.trace === 0 && (c0 === '[' || raw[0] === ' ' || raw[0] === '\t'))) {
      const tok = parseFrameLine(text, this.inIrq)
      if (tok && 'marker' in tok) {
        this.inIrq = tok.marker === 'irq-start'
      }
      if (tok && 'func' in tok) {
        if (tok.irq !== this.inIrq) this.inIrq = tok.irq
        if (this.trace === 1) {
          if (this.frames.length < MAX_FRAMES) this.frames.push(tok)
        } else if (this.untracedFrames.length < MAX_FRAMES) {
          this.untracedFrames.push(tok)
        }
        return
      }
      if (tok) return
      if (this.trace === 1 && this.frames.length > 0 && !/^(?:r\d+:|Exception stack|[0-9a-f]{4}: |\(|\s*$|---\[|Code:|RIP|RSP|RAX|RDX|RBP|R\d\d|FS:|CS:|CR2|DR\d|Modules linked|irq event)/.test(text)) {
        // first non-frame line after frames: the trace is over
        this.trace = 2
      }
    }

    if ((this.kind === 'kasan' || this.kind === 'kmsan') && !this.access && (m = KASAN_ACCESS_RE.exec(text))) {
      this.access = m[1]
      return
    }
    switch (c0) {
      case 'C':
        if (this.pid === null || this.taint === null) {
          if ((m = CPU_LINE_RE.exec(text))) {
            this.cpu ??= +m[1]
            this.pid ??= +m[2]
            this.comm ??= m[3]
            this.taint ??= m[4] === 'Not tainted' ? NOT_TAINTED : decodeTaintField(m[5] ?? '')
            return
          }
        }
        if (this.cpu === null && (m = OLD_CPU_RE.exec(text))) this.cpu = +(m[1] ?? m[2])
        return
      case 'P':
        if ((m = PID_LINE_RE.exec(text))) {
          this.pid ??= +m[1]
          this.comm ??= m[2]
          this.taint ??= m[3] === 'Not tainted' ? NOT_TAINTED : decodeTaintField(m[4] ?? '')
          return
        }
        if ((m = PROCESS_RE.exec(text))) {
          this.comm ??= m[1]
          this.pid ??= +m[2]
          return
        }
        if (!this.ripFunc) this.tryRip(text)
        return
      case 'T':
        if (text.startsWith('Tainted: [')) this.verboseTaint ??= decodeVerboseTaint(text)
        else if (this.taint === null && (m = BARE_TAINT_RE.exec(text))) this.taint = decodeTaintField(m[1])
        return
      case 'n':
        if (this.taint === null && text.startsWith('Not tainted ')) this.taint = NOT_TAINTED
        return
      case 'R':
      case 'E':
      case 'I':
      case 'N':
      case 'K':
      case 'p':
      case 'e':
        if (!this.ripFunc) this.tryRip(text)
        if (this.cpu === null && c0 === 'E' && (m = OLD_CPU_RE.exec(text))) this.cpu = +(m[1] ?? m[2])
        return
      default:
        break
    }
    if (this.kind === 'lockdep') {
      if (this.lockdepSiteIn > 0 && !this.headerFunc) {
        this.lockdepSiteIn--
        const w = LOCKDEP_SITE_RE.exec(text)
        if (w) {
          this.headerFunc = w[2] ? `${w[1]} [${w[2]}]` : w[1]
          this.lockdepSiteIn = 0
        }
      }
      if (LOCKDEP_SITE_INTRO_RE.test(text)) {
        this.lockdepSiteIn = 2
        const w = LOCKDEP_SITE_RE.exec(text.slice(text.indexOf(' at')))
        if (w && text.includes(' at')) {
          this.headerFunc ??= w[2] ? `${w[1]} [${w[2]}]` : w[1]
          this.lockdepSiteIn = 0
        }
        return
      }
      if (this.taint === null && (m = LOCKDEP_RELEASE_RE.exec(text))) {
        this.taint = m[1] === 'Not tainted' ? NOT_TAINTED : decodeTaintField(m[2] ?? '')
        return
      }
      if (this.comm === null && (m = LOCKDEP_TASK_RE.exec(text))) {
        this.comm = m[1]
        this.pid = +m[2]
        return
      }
    }
    // `WARNING: at file:line` with the function wrapped onto the next line.
    if (this.kind === 'warning' && !this.headerFunc && !this.sawWarnFuncLine && this.lineCount <= 3) {
      this.sawWarnFuncLine = true
      const w = new RegExp(`^${FUNC}`).exec(text)
      if (w) this.headerFunc = w[2] ? `${w[1]} [${w[2]}]` : w[1]
    }
  }

  private tryRip(text: string): void {
    for (const re of RIP_RES) {
      const m = re.exec(text)
      if (m) {
        const func = m[1].replace(/^\./, '')
        this.ripFunc = m[2] ? `${func} [${m[2]}]` : func
        this.rip = text.slice(m.index).replace(/^[^(]*?\(?(?=\.?[A-Za-z_$][\w.$]*\+0x)/, '').replace(/\)\s*$/, '').replace(/^\./, '')
        // keep only `f+0x1/0x2 [mod]`
        const r = new RegExp(FUNC).exec(this.rip)
        this.rip = r ? r[0].replace(/^\./, '') : this.rip
        return
      }
    }
  }

  finish(endedBy?: 'cap' | 'eof'): Oops {
    const frames = this.frames.length > 0 ? this.frames : this.untracedFrames
    const reliable = frames.filter((f) => !f.unreliable)
    const shown = (reliable.length > 0 ? reliable : frames).map(frameLabel)
    const guilty = guiltyFrame({kind: this.kind, headerFunc: this.headerFunc, ripFunc: this.ripFunc, frames})
    const titleInput = {kind: this.kind, guilty, detail: this.detail, file: this.file, access: this.access}
    const stem = titleStem(titleInput)
    const title = makeTitle(titleInput)
    const taint = this.verboseTaint ?? this.taint
    let corruptedReason = this.corruptedReason
    if (!corruptedReason && endedBy === 'cap') corruptedReason = 'report cut at the length cap'
    if (!corruptedReason && taint?.flags.some((f) => f.letter === 'D')) corruptedReason = 'kernel already tainted D by an earlier oops'
    if (!corruptedReason && !guilty && needsFunc(this.kind)) corruptedReason = 'no usable frame'
    const oops: Oops = {
      title,
      kind: this.kind,
      header: this.header,
      startLine: this.startLine,
      endLine: this.endLine,
      panicked: this.panicked,
      corrupted: corruptedReason !== undefined,
      taint,
      cpu: this.cpu,
      pid: this.pid,
      comm: this.comm,
      rip: this.rip,
      frames: shown,
      guiltyFrame: guilty,
      stackHash: stackHash(this.kind, stem, guilty, frames),
      kvmRelated: this.isKvmRelated(frames, guilty),
    }
    if (corruptedReason) oops.corruptedReason = corruptedReason
    if (this.panicReason !== undefined) oops.panicReason = this.panicReason
    if (this.caller) oops.caller = this.caller
    return oops
  }

  private isKvmRelated(frames: Frame[], guilty: string | null): boolean {
    if (this.file && KVM_FILE_RE.test(this.file)) return true
    if (KVM_FILE_RE.test(this.header)) return true
    const fs: string[] = []
    if (guilty) fs.push(guilty)
    if (this.ripFunc) fs.push(this.ripFunc)
    if (this.headerFunc) fs.push(this.headerFunc)
    for (const f of frames.slice(0, 12)) {
      if (f.unreliable) continue
      if (f.mod && KVM_MOD_RE.test(f.mod)) return true
      fs.push(f.func)
    }
    for (const label of fs) {
      const mod = /\[([\w-]+)\]$/.exec(label)?.[1]
      if (mod && KVM_MOD_RE.test(mod)) return true
      if (KVM_FUNC_RE.test(canonicalFunc(bare(label)))) return true
    }
    return this.comm !== null && QEMU_COMM_RE.test(this.comm)
  }
}

function needsFunc(kind: OopsKind): boolean {
  // An RCU stall on an idle CPU (the vCPU preempted by the level below) has no guilty frame by nature.
  return kind !== 'panic' && kind !== 'mce' && kind !== 'nmi' && kind !== 'slab' && kind !== 'lockdep' && kind !== 'rcu-stall'
}
