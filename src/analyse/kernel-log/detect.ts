/**
 * Report detection: which normalised kernel lines open, continue or end a crash report.
 * Headers are anchored at the start of the kernel text, so benign lines that merely contain the
 * words (`Speculative Return Stack Overflow: WARNING: See ...`, user-space `traps: ... general
 * protection fault ip:`, `[Firmware Bug]: ...`, a program's `WARNING:` in syslog) never match.
 */
import type {OopsKind} from './types.js'

export type HeaderRole =
  /** Starts a report (closing an open one in the same context). */
  | 'primary'
  /** `__die` line (`Oops: 0000 [#1]`, `invalid opcode: 0000 [#1]`): joins a just-opened fault report. */
  | 'die'
  /** `Kernel panic - not syncing:` joins the report it follows, or stands alone. */
  | 'panic'
  /** `---[ end trace ... ]---` / `---[ end Kernel panic ... ]---`. */
  | 'end'
  | 'end-panic'

export interface Header {
  role: HeaderRole
  kind: OopsKind
  /** Function named by the header itself (WARNING site, KASAN access, ...). */
  func?: string
  file?: string
  cpu?: number
  pid?: number
  comm?: string
  /** Text used to build the title (lockdep phrase, generic BUG message, KASAN type, panic reason). */
  detail?: string
  /** Secondary oops (`[#2]` and up). */
  dieCount?: number
}

const FUNC = String.raw`([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+(?:/0x[0-9a-f]+)?(?: \[([\w-]+)\])?`

const END_TRACE_RE = /^-+\[ end trace(?: [0-9a-f]+)? \]-+/
const END_PANIC_RE = /^-+\[ end (?:Kernel panic - not syncing|kernel panic)/
const PANIC_RE = /^Kernel panic - not syncing:? ?(.*)$/
const DIE_RE = /^(?:Oops: )?(?:Internal error: )?([A-Za-z][\w ,./()-]{0,100}?)(?:: (?:0x)?[0-9a-f]{1,16}(?: ilc:\d)?|, sig: \d+) \[#(\d+)\]/
const OLD_DIE_RE = /^(?:Oops|general protection fault): [0-9a-f]{4} \[(\d+)\]/

const LOCKDEP_PHRASES = [
  'possible recursive locking detected',
  'possible circular locking dependency detected',
  'inconsistent lock state',
  'suspicious RCU usage',
  'suspicious rcu_dereference_check() usage',
  'suspicious rcu_dereference_protected() usage',
  'bad unlock balance detected!',
  'lock held when returning to user space!',
  'possible irq lock inversion dependency detected',
  'held lock freed!',
  'lock held at task exit time!',
  'Nested lock was not taken',
  'possible deadlock detected',
  'trying to register non-static key',
  'looking up invalid subclass',
  'still has locks held!',
  'Invalid wait context',
]
const LOCKDEP_RE = new RegExp(
  String.raw`^(?:\[ ?)?(?:INFO|BUG|WARNING): (` +
    LOCKDEP_PHRASES.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') +
    String.raw`|[A-Z]+-(?:safe|irq-safe) -> [A-Z]+-(?:unsafe|irq-unsafe) lock order detected)`,
)

const WARN_NEW_RE = new RegExp(String.raw`^WARNING: (?:(\S+?):\d+ )?at ${FUNC}.*?, CPU#(\d+): (.+)/(\d+)\s*$`)
const WARN_RE = /^WARNING: (?:CPU: (\d+) PID: (\d+) )?at(?: |(?=\S+:\d+))(.*)$/
const WARN_REST_RE = new RegExp(String.raw`^(?:(\S+?):\d+\s*)?(?:${FUNC})?`)

const SOFT_LOCKUP_RE = /^(?:NMI watchdog|watchdog): BUG: soft lockup - CPU#(\d+) stuck for \d+s! \[(.+):(\d+)\]|^BUG: soft lockup - CPU#(\d+) stuck for \d+s! \[(.+):(\d+)\]/
const HARD_LOCKUP_RE = /^(?:(?:NMI )?watchdog: )?Watchdog detected hard LOCKUP on cpu (\d+)/
const RCU_RE = /^(?:rcu: )?INFO: (?:rcu_\w+|rcu) (?:self-detected stall|detected stall|detected expedited stall)/
const HUNG_RE = /^INFO: task (.+):(\d+) (?:blocked for more than \d+ seconds|is blocked)/
const KASAN_RE = new RegExp(String.raw`^BUG: (KASAN|KMSAN): ([\w-]+) in ${FUNC}`)
const KFENCE_RE = new RegExp(String.raw`^BUG: KFENCE: ([\w -]+?) in ${FUNC}`)
const KCSAN_RE = /^BUG: KCSAN: ([\w-]+) in (\S+?)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \/ (\S+?)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?)?\s*$/
const UBSAN_RE = /^UBSAN: (?:Undefined behaviour in |([\w -]+?) in )(\S+?)(?::\d+(?::\d+)?)?\s*$/
const SLAB_RE = /^BUG ([\w:.()-]+?)(?: \((?:Not tainted|Tainted: [A-Z ]*)\))?: (.+)$/
const KERNEL_BUG_RE = /^kernel BUG at (.+?):\d+!/
const NULL_RE = /^(?:BUG: (?:unable to handle )?kernel NULL pointer dereference|Unable to handle kernel NULL pointer dereference)/
const PAGE_FAULT_RE =
  /^(?:BUG: unable to handle (?:page fault|kernel paging request)|Unable to handle kernel (?:paging request|pointer dereference|access to user memory|execute from non-executable memory)|Unable to handle kernel (?:paging request )?(?:for|at) )/
const SLEEP_RE = /^BUG: (sleeping function called from invalid context|scheduling while atomic|using smp_processor_id\(\) in preemptible|using __this_cpu_\w+\(\) in preemptible|workqueue leaked lock or atomic|spinlock (?:bad magic|already unlocked|wrong owner|recursion|cpu recursion|lockup suspected))/
const DOUBLE_FAULT_RE = /^PANIC: double fault/
const MCE_RE = /^(?:CPU \d+: )?Machine Check Exception:|^(?:mce: )?\[Hardware Error\]: (?:Machine check events logged|CPU \d+: Machine Check(?: Exception)?:)|^mce: \[Hardware Error\]: Machine check: /
const NMI_RE = /^(?:Uhhuh\. NMI received for unknown reason|NMI: (?:PCI system error|IOCK error)|NMI: Not continuing|Dazed and confused, but trying to continue)/
const GENERIC_BUG_RE = /^BUG: (.+)$/

const FIRST = new Set('BkOgWKUIi[wNrdsmCMP- '.split(''))

/** Classify one normalised kernel line, or null when it is not a report boundary. */
export function detectHeader(raw: string): Header | null {
  // A few reports arrive with one leading space (truncated lockdep banners); frames are indented more.
  const text = raw.charCodeAt(0) === 0x20 && raw.charCodeAt(1) !== 0x20 ? raw.slice(1) : raw
  const hasDie = text.includes('[#') || text.includes(': 0000 [')
  if (!hasDie && !FIRST.has(text[0])) {
    if (text.includes(': page allocation failure')) return allocFailure(text)
    return null
  }

  if (hasDie) {
    const h = matchDie(text)
    if (h) return h
  }
  let m: RegExpExecArray | null
  switch (text[0]) {
    case '-':
      if (END_TRACE_RE.test(text)) return {role: 'end', kind: 'oops'}
      if (END_PANIC_RE.test(text)) return {role: 'end-panic', kind: 'panic'}
      return null
    case 'K':
      if ((m = PANIC_RE.exec(text))) return {role: 'panic', kind: 'panic', detail: m[1].trim()}
      return null
    case 'W':
      if ((m = LOCKDEP_RE.exec(text))) return lockdep(m[1])
      if ((m = WARN_NEW_RE.exec(text)))
        return {role: 'primary', kind: 'warning', file: m[1], func: fn(m[2], m[3]), cpu: +m[4], comm: m[5], pid: +m[6]}
      if ((m = WARN_RE.exec(text))) {
        const r = WARN_REST_RE.exec(m[3].trim())
        return {
          role: 'primary',
          kind: 'warning',
          cpu: m[1] === undefined ? undefined : +m[1],
          pid: m[2] === undefined ? undefined : +m[2],
          file: r?.[1],
          func: r?.[2] ? fn(r[2], r[3]) : undefined,
        }
      }
      if ((m = HARD_LOCKUP_RE.exec(text))) return {role: 'primary', kind: 'hard-lockup', cpu: +m[1]}
      return null
    case 'B':
      if ((m = LOCKDEP_RE.exec(text))) return lockdep(m[1])
      if ((m = SOFT_LOCKUP_RE.exec(text))) return softLockup(m)
      if ((m = KASAN_RE.exec(text)))
        return {role: 'primary', kind: m[1] === 'KASAN' ? 'kasan' : 'kmsan', detail: m[2], func: fn(m[3], m[4])}
      if ((m = KFENCE_RE.exec(text))) return {role: 'primary', kind: 'kfence', detail: m[1], func: fn(m[2], m[3])}
      if ((m = KCSAN_RE.exec(text)))
        return {role: 'primary', kind: 'kcsan', detail: m[1], func: m[3] ? `${clean(m[2])} / ${clean(m[3])}` : clean(m[2])}
      if (NULL_RE.test(text)) return {role: 'primary', kind: 'null-deref'}
      if (PAGE_FAULT_RE.test(text)) return {role: 'primary', kind: 'page-fault'}
      if ((m = SLEEP_RE.exec(text))) return {role: 'primary', kind: 'atomic-sleep', detail: m[1]}
      if ((m = SLAB_RE.exec(text))) return {role: 'primary', kind: 'slab', detail: `BUG ${m[1]}: ${m[2].trim()}`}
      if ((m = GENERIC_BUG_RE.exec(text))) return {role: 'primary', kind: 'bug', detail: m[1]}
      return null
    case 'k':
      if ((m = KERNEL_BUG_RE.exec(text))) return {role: 'primary', kind: 'kernel-bug', file: m[1]}
      return null
    case 'U':
      if ((m = UBSAN_RE.exec(text))) return {role: 'primary', kind: 'ubsan', detail: m[1] ?? 'undefined behaviour', file: m[2]}
      if (NULL_RE.test(text)) return {role: 'primary', kind: 'null-deref'}
      if (PAGE_FAULT_RE.test(text)) return {role: 'primary', kind: 'page-fault'}
      if (NMI_RE.test(text)) return {role: 'primary', kind: 'nmi', detail: 'NMI received for unknown reason'}
      return null
    case 'I':
      if ((m = LOCKDEP_RE.exec(text))) return lockdep(m[1])
      if (RCU_RE.test(text)) return {role: 'primary', kind: 'rcu-stall'}
      if ((m = HUNG_RE.exec(text))) return {role: 'primary', kind: 'hung-task', comm: m[1], pid: +m[2]}
      return null
    case 'r':
      if (RCU_RE.test(text)) return {role: 'primary', kind: 'rcu-stall'}
      return null
    case '[':
      if ((m = LOCKDEP_RE.exec(text))) return lockdep(m[1])
      if (MCE_RE.test(text)) return {role: 'primary', kind: 'mce', detail: mceDetail(text)}
      return null
    case 'w':
    case 'N':
      if ((m = SOFT_LOCKUP_RE.exec(text))) return softLockup(m)
      if ((m = HARD_LOCKUP_RE.exec(text))) return {role: 'primary', kind: 'hard-lockup', cpu: +m[1]}
      if (NMI_RE.test(text)) return {role: 'primary', kind: 'nmi', detail: text.startsWith('NMI: ') ? text.slice(5).replace(/[.,;].*$/, '') : 'NMI'}
      return null
    case 'P':
      if (DOUBLE_FAULT_RE.test(text)) return {role: 'primary', kind: 'double-fault'}
      return null
    case 'C':
    case 'M':
    case 'm':
      if (MCE_RE.test(text)) return {role: 'primary', kind: 'mce', detail: mceDetail(text)}
      return null
    case 'D':
      if (NMI_RE.test(text)) return {role: 'primary', kind: 'nmi', detail: 'NMI received for unknown reason'}
      return null
    default:
      return null
  }
}

function matchDie(text: string): Header | null {
  let m = DIE_RE.exec(text)
  let what: string
  let count: number
  if (m) {
    what = m[1].trim()
    count = +m[2]
  } else if ((m = OLD_DIE_RE.exec(text))) {
    what = text.startsWith('Oops') ? 'Oops' : 'general protection fault'
    count = +m[1]
  } else return null
  // `traps: comm[1] general protection fault ip:` never has `[#N]`; anything with a pid-ish
  // `name[123]` before the colon is user space.
  if (/\[\d+\]/.test(what)) return null
  const w = what.toLowerCase()
  let kind: OopsKind = 'oops'
  if (w.includes('general protection')) kind = 'gpf'
  else if (/invalid opcode|illegal operation|oops - bug|brk handler|undefined instruction|oops - undefined/.test(w)) kind = 'invalid-opcode'
  else if (w.includes('divide error') || w.includes('divide-by-zero')) kind = 'divide-error'
  else if (w.includes('stack segment')) kind = 'stack-segment'
  else if (w.includes('double fault')) kind = 'double-fault'
  return {role: 'die', kind, detail: what.replace(/^Oops: /, ''), dieCount: count}
}

const ALLOC_FAIL_RE = /^(\S.{0,63}?): page allocation failure: order:\d+/

function allocFailure(text: string): Header | null {
  const m = ALLOC_FAIL_RE.exec(text)
  return m ? {role: 'primary', kind: 'alloc-failure', comm: m[1]} : null
}

function lockdep(phrase: string): Header {
  return {role: 'primary', kind: 'lockdep', detail: phrase}
}

function softLockup(m: RegExpExecArray): Header {
  const cpu = m[1] ?? m[4]
  return {role: 'primary', kind: 'soft-lockup', cpu: +cpu, comm: m[2] ?? m[5], pid: +(m[3] ?? m[6])}
}

function mceDetail(text: string): string {
  if (/Machine check events logged/.test(text)) return 'Machine check events logged'
  return 'Machine Check Exception'
}

/** `name [mod]`, with compiler suffixes kept (the title/hash code strips them). */
export function fn(name: string, mod?: string): string {
  return mod ? `${clean(name)} [${mod}]` : clean(name)
}

function clean(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name
}

/** Lines that look like part of a report body: registers, frames, context lines, lockdep text. */
const BODY_RE =
  /^(?:\s|\[<|\(\[<|\[[0-9a-f]{8,16}\]|<\/?(?:TASK|IRQ|NMI|EOI|SOFTIRQ)>|Call [Tt]race|Backtrace|Code:|Modules linked in|Hardware name|Workqueue|Tainted|CPU|Pid|PID|Comm|Process |Stack|RIP|RSP|RAX|RDX|RBP|RSI|R\d\d|FS:|CS:|CR[0-4]|DR[0-7]|EIP|EAX|ESI|DS:|EFLAGS|IP:|\*p[dgmu]e|\*pdpt|#PF|PGD|P4D|PUD|PMD|PTE|Oops|pc :|lr :|sp :|x\d+ ?:|pstate|NIP|LR|CTR|REGS|MSR|GPR|CFAR|DAR|DSISR|SOFTE|TRAP|Instruction dump|Krnl|Last Breaking|PSW|PC is at|LR is at|pc :|psr|sp |ip |fp |r\d+ ?:|Flags:|Control:|Table:|DAC:|Exception stack|Function entered|Unable to handle|Internal error|Mem abort|ESR|EC =|SET =|FnV|EA =|S1PTW|Data abort|ISV|CM =|user pgtable|\[[0-9a-f]{16}\] pgd|irq event stamp|hardirqs|softirqs|other info|but task|the existing|which lock|Possible|\*\*\*|-> #|Chain exists|stack backtrace|[0-9]+ locks? held|no locks held|#\d+:|lockdep|Showing|Sending NMI|NMI backtrace|rcu:|\t|Read of size|Write of size|Allocated by|Freed by|Last potentially|Second to last|The buggy|Memory state|Object|Redzone|Padding|INFO:|Kernel panic|Kernel Offset|Rebooting|---\[|={5}|-{5}|in_atomic|preempt_count|Preemption|last sysfs|task:|\S+ #\d+ (?:Not tainted|Tainted)|\S+\+0x[0-9a-f]+\/0x[0-9a-f]+|Disabling lock|turning off|Dumping ftrace|Shutting down|CPU\d|Unable|Bank \d|TSC|MCG|ADDR|MISC|PROCESSOR|RIP!INEXACT|\(\[<|r\d+:|\d+ \+ \d+ =|\.\.\.|printing eip|\*pde|[0-9a-f]{8}$|\? |\[ |Hardware|BUG|WARNING|Your |show_|=+$)/

export function looksLikeBody(text: string): boolean {
  return text.length === 0 || BODY_RE.test(text)
}
