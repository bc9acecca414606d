/**
 * Call-trace frames, the guilty frame, titles and stack hashes.
 *
 * Frames come in every architecture's shape (x86 `[<addr>] ? f+0x1/0x2 [mod]` and the modern
 * address-less form, arm `[<pc>] (f+0x..) from [<lr>] (g+0x..)`, arm64 `f+0x1c/0x30`, ppc64
 * `[sp] [pc] .f+0x38/0x90 (unreliable)`, s390 `([<addr>] f+0x70/0x1b8)`). Titles follow syzbot's
 * style (`WARNING in f`, `general protection fault in f`); the hash covers the title stem and the
 * first non-generic reliable frames by name only (no offsets, addresses, timestamps, PIDs or
 * modules' load addresses), so the same bug hashes the same across reboots, levels and machines.
 */
import {createHash} from 'node:crypto'

import type {OopsKind} from './types.js'

export interface Frame {
  func: string
  mod?: string
  unreliable: boolean
  /** Frame printed inside an `<IRQ>`/`<NMI>` section. */
  irq: boolean
}

const ARM_RE = /^\[<[0-9a-f]+>\] \(([A-Za-z_.$][\w.$]*)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \[([\w-]+)\])?\)(?: from \[<[0-9a-f]+>\])?/
const FRAME_RE =
  /^(?:\(?\[<?[0-9a-f]{6,16}>?\]\s+)?(?:\[<?[0-9a-f]{6,16}>?\]\s*)?(\?\s+)?\(?(?::([\w-]+):)?\.?([A-Za-z_$][\w.$]*)\+0x[0-9a-f]+(?:\/0x[0-9a-f]+)?\)?(?:\s+\[([\w-]+)\])?(.*)$/
const INLINE_RE = /^([A-Za-z_$][\w.$]*) \S+:\d+ \[inline\]$/
const MARKER_RE = /^(?:<\/?(TASK|IRQ|NMI|EOI|SOFTIRQ)>|<<(EOE)>>)\s*/

export type TraceToken = Frame | {marker: 'irq-start' | 'irq-end' | 'task'} | null

/** Parse one (trimmed-start) line of a call trace. */
export function parseFrameLine(line: string, inIrq: boolean): TraceToken {
  let s = line.trimStart()
  let irq = inIrq
  let marker: TraceToken = null
  const mk = MARKER_RE.exec(s)
  if (mk) {
    const closing = s[1] === '/' || mk[2] === 'EOE'
    irq = !closing && mk[1] !== 'TASK'
    marker = {marker: closing || mk[1] === 'TASK' ? (mk[1] === 'TASK' ? 'task' : 'irq-end') : 'irq-start'}
    s = s.slice(mk[0].length)
    if (s.length === 0) return marker
  }
  if (s.charCodeAt(0) === 0x5b /* [ */ && s.includes(') from [') ) {
    const a = ARM_RE.exec(s)
    if (a) return {func: stripDot(a[1]), mod: a[2], unreliable: false, irq}
  }
  const m = FRAME_RE.exec(s)
  if (!m) {
    // syzbot-symbolised inline frame: `vcpu_enter_guest arch/x86/kvm/x86.c:11081 [inline]`
    const inl = INLINE_RE.exec(s)
    if (inl) return {func: inl[1], unreliable: false, irq}
    return marker
  }
  const tail = m[5] ?? ''
  return {
    func: stripDot(m[3]),
    mod: m[4] ?? m[2],
    unreliable: Boolean(m[1]) || tail.includes('(unreliable)'),
    irq,
  }
}

function stripDot(f: string): string {
  return f.startsWith('.') ? f.slice(1) : f
}

/** Compiler clones vary between builds: `f.isra.0`, `f.constprop.3`, `f.cold`, `f.part.1`, `f.llvm.123`. */
export function canonicalFunc(f: string): string {
  const i = f.search(/\.(?:isra|constprop|cold|part|llvm|lto_priv|clone|\d)/)
  return i > 0 ? f.slice(0, i) : f
}

/**
 * Frames that say nothing about which code is guilty: dumping, WARN/BUG/die machinery, exception
 * entry, syscall entry, scheduler and lock primitives, sanitizer runtime, IRQ/timer plumbing.
 */
const GENERIC_RE = new RegExp(
  '^(?:' +
    [
      'dump_stack\\w*', '__dump_stack', 'show_stack\\w*', 'show_trace\\w*', 'show_regs', '__show_regs', 'dump_backtrace\\w*',
      'sched_show_task', 'print_\\w+', 'printk\\w*', 'vprintk\\w*', '_printk', 'panic', 'vpanic', '__warn\\w*', 'warn_slowpath\\w*',
      'report_bug', 'handle_bug', '__report_bug', 'bug_handler', 'exc_\\w+', 'asm_exc_\\w+', 'do_trap', 'do_error_trap',
      'do_invalid_op', 'invalid_op', 'do_general_protection', 'general_protection', 'die', '__die\\w*', 'oops_\\w+',
      'no_context', '__bad_area\\w*', 'bad_area\\w*', 'do_page_fault', '__do_page_fault', 'page_fault', 'async_page_fault',
      'do_user_addr_fault', 'do_kern_addr_fault', 'kernelmode_fixup_or_oops', 'page_fault_oops', 'spurious_kernel_fault',
      'handle_page_fault', 'bad_page_fault', 'error_entry', 'error_exit', 'ret_from_fork\\w*', 'kthread', 'worker_thread',
      'process_one_work', 'process_scheduled_works', 'smpboot_thread_fn', 'entry_SYSCALL\\w*', 'entry_SYSENTER\\w*',
      'entry_INT80\\w*', '__x64_sys_\\w+', '__ia32_sys_\\w+', '__se_sys_\\w+', 'x64_sys_call', '__arm64_sys_\\w+', 'do_syscall_\\w+', 'system_call\\w*', 'sysenter_\\w+', 'syscall_call', 'do_fast_syscall\\w*',
      'syscall_exit\\w*', 'el0_\\w+', 'el1_\\w+', 'el0t_\\w+', 'el1h_\\w+', 'invoke_syscall', 'do_el0_svc\\w*',
      'el0_svc\\w*', 'vector_swi', 'ret_fast_syscall', '__schedule', 'schedule\\w*', 'preempt_schedule\\w*',
      'io_schedule\\w*', '__mutex_lock\\w*', 'mutex_lock\\w*', '_raw_\\w+', 'do_raw_\\w+', '__raw_\\w+',
      'rwsem_down_\\w+', 'down_read\\w*', 'down_write\\w*', 'down', '__down\\w*', 'lock_acquire\\w*', '__lock_acquire',
      'check_prev_add', 'check_prevs_add', 'check_noncircular', 'check_deadlock', 'check_flags', 'check_usage\\w*',
      'check_irq_usage', 'check_wait_context', 'check_chain_key', 'check_memory_region\\w*', 'check_preemption_disabled',
      'check_irq_usage', 'check_kcov_mode', 'lock_release\\w*', '__lock_release', 'lock_acquired', 'lock_contended', 'valid_state', 'mark_irqflags',
      '__schedule_bug', '_*local_bh_enable\\w*', 'local_bh_\\w+', 'irq_enter\\w*', 'rcu_read_lock_held\\w*',
      'debug_lockdep_rcu_enabled', '__local_bh_\\w+', 'sched_clock\\w*', 'validate_chain', 'mark_lock\\w*', '__lock_\\w+', 'lockdep_\\w+',
      'debug_check_\\w+', '__might_sleep', '__might_resched', '__might_fault', 'might_fault', '___might_sleep',
      'might_sleep', 'kasan_\\w+', '__kasan_\\w+', '__asan_\\w+', 'asan_\\w+', 'kfence_\\w+', '__kfence_\\w+',
      'kcsan_\\w+', '__tsan_\\w+', 'kmsan_\\w+', '__msan_\\w+', 'ubsan_\\w+', '__ubsan_\\w+', 'memcpy\\w*',
      'memset\\w*', 'memmove\\w*', '__memcpy\\w*', '__memset\\w*', 'watchdog\\w*', 'rcu_\\w+', '__rcu_\\w+',
      'sched_clock_tick', 'update_process_times', 'tick_\\w+', 'hrtimer_\\w+', '__hrtimer_\\w+', 'apic_timer_interrupt',
      'smp_apic_timer_interrupt', 'sysvec_\\w+', 'asm_sysvec_\\w+', '__sysvec_\\w+', 'irq_exit\\w*', '__irq_exit_rcu',
      '__do_softirq', 'do_softirq\\w*', 'handle_softirqs', 'run_timer_softirq', 'call_timer_fn', 'nmi_\\w+', 'do_nmi',
      'default_do_nmi', 'end_repeat_nmi', 'perf_\\w+', '__perf_\\w+', 'x86_pmu_\\w+', 'intel_pmu_\\w+', 'amd_pmu_\\w+',
      'arch_trigger_\\w+', 'trigger_\\w+', 'wait_for_completion\\w*', '__wait_for_common', 'wait_for_common\\w*',
      'do_wait_for_common', 'bit_wait\\w*', 'out_of_line_wait\\w*', '__wait_on_bit\\w*', 'wait_on_page_bit\\w*',
      'folio_wait_bit\\w*', '__folio_lock\\w*', '__lock_page\\w*', '__cond_resched\\w*', '_cond_resched',
      'do_exit', 'do_group_exit', 'get_signal\\w*', 'arch_do_signal\\w*', 'do_signal', 'exit_to_user_mode\\w*',
      'irqentry_\\w+', '__irq_svc', '__pabt_svc', '__dabt_svc', 'do_DataAbort', 'do_PrefetchAbort', 'do_translation_fault',
      'do_bad_area', '__do_kernel_fault', '__do_user_fault', 'do_mem_abort', 'el1_abort', 'el1_da', 'brk_handler',
      'call_break_hook', 'call_el1_break_hook', 'do_debug_exception', 'do_el1_\\w+', 'arm64_\\w+', 'program_check_\\w+',
      'data_access_common\\w*', 'hash_page\\w*', 'ret_from_except\\w*', 'system_call_common', 'do_program_check',
      'pgm_check_handler', 'do_report_trap', 'illegal_op', 'do_exception', 'do_dat_exception', 'do_no_context',
      '__kprobes_\\w+', 'notify_die', 'atomic_notifier_call_chain', 'notifier_call_chain', '__atomic_notifier_call_chain',
      'fixup_exception', 'sched_show\\w*', 'show_state\\w*', 'hung_task\\w*', 'check_hung\\w*', 'do_int3\\w*', 'do_debug',
      'int3', 'debug', 'kernel_init', 'kernel_init_freeable', 'do_one_initcall', 'start_kernel', 'x86_64_start\\w*',
      'secondary_startup\\w*', 'start_secondary', 'cpu_startup_entry', 'do_idle', 'cpuidle_\\w+', 'default_idle\\w*',
      'arch_cpu_idle\\w*', 'cpu_idle\\w*', 'native_safe_halt', 'pv_native_safe_halt', 'native_\\w+', 'slab_err',
      'object_err', 'check_bytes_and_report', 'free_debug_processing', 'alloc_debug_processing', 'warn_alloc\\w*',
      'kvm_wait', '__pv_queued_spin_lock_slowpath', 'queued_spin_lock_slowpath', 'native_queued_spin_lock_slowpath',
      'trace_hardirqs_\\w+', 'lockdep_hardirqs_\\w+', 'mark_held_locks', 'debug_locks_off', 'save_stack_trace\\w*',
      'stack_trace_save\\w*', 'warn_alloc\\w*', '__alloc_pages\\w*', 'alloc_pages\\w*', '__alloc_pages_nodemask',
      'kmalloc_order\\w*', '__kmalloc\\w*', 'kmalloc\\w*', 'kmem_cache_alloc\\w*', '__kmem_cache_alloc\\w*',
      'alloc_pages_current', 'folio_alloc\\w*', '__folio_alloc\\w*', 'kvmalloc\\w*', '__vmalloc\\w*', 'vmalloc\\w*', 'arch_stack_walk', 'unwind_\\w+', '__unwind_\\w+', 'show_fault_oops', 'dump_pagetable',
    ].join('|') +
    ')$',
)

function isGeneric(func: string): boolean {
  return GENERIC_RE.test(canonicalFunc(func))
}

export function frameLabel(f: Frame): string {
  return f.mod ? `${f.func} [${f.mod}]` : f.func
}

/** Kinds whose faulting location (RIP/pc/NIP/PSW) is the guilty code. */
const RIP_FIRST: ReadonlySet<OopsKind> = new Set<OopsKind>([
  'null-deref', 'page-fault', 'gpf', 'kernel-bug', 'invalid-opcode', 'divide-error', 'stack-segment', 'double-fault',
  'oops', 'bug', 'soft-lockup', 'hard-lockup', 'rcu-stall', 'warning', 'slab',
])

/** Kinds whose trace shows the culprit outside the IRQ part (stall detectors run from the timer IRQ). */
const SKIP_IRQ: ReadonlySet<OopsKind> = new Set<OopsKind>(['rcu-stall', 'soft-lockup', 'hard-lockup'])

export interface GuiltyInput {
  kind: OopsKind
  headerFunc?: string
  ripFunc?: string
  frames: Frame[]
}

/** The function a title names: header site, then faulting location, then the first non-generic frame. */
export function guiltyFrame(g: GuiltyInput): string | null {
  // The header names the site itself (WARN_ON location, KASAN access): trust it unless it is WARN machinery.
  // The lockdep acquire site counts only when it is not a lock primitive itself (might_fault, ...).
  if (g.headerFunc && !/^(?:__warn\w*|warn_slowpath\w*|report_bug|__report_bug)$/.test(bare(g.headerFunc)) &&
    !(g.kind === 'lockdep' && isGeneric(bare(g.headerFunc)))) return g.headerFunc
  if (g.ripFunc && RIP_FIRST.has(g.kind) && !isGeneric(bare(g.ripFunc))) return g.ripFunc
  const pick = (irqOk: boolean, unreliableOk: boolean): Frame | undefined =>
    g.frames.find((f) => (irqOk || !f.irq) && (unreliableOk || !f.unreliable) && !isGeneric(f.func))
  const skipIrq = SKIP_IRQ.has(g.kind)
  const f = (skipIrq ? pick(false, false) : undefined) ?? pick(true, false) ?? pick(true, true)
  return f ? frameLabel(f) : null
}

/** `f [mod]` -> `f` */
export function bare(label: string): string {
  const i = label.indexOf(' ')
  return i > 0 ? label.slice(0, i) : label
}

export interface TitleInput {
  kind: OopsKind
  guilty: string | null
  detail?: string
  file?: string
  /** KASAN access type from `Read of size`/`Write of size`. */
  access?: string
}

/** The title stem (without ` in <func>`); the kind decides its shape. */
export function titleStem(t: TitleInput): string {
  const d = t.detail ?? ''
  switch (t.kind) {
    case 'warning': return 'WARNING'
    case 'null-deref': return 'BUG: kernel NULL pointer dereference'
    case 'page-fault': return 'BUG: unable to handle page fault'
    case 'gpf': return 'general protection fault'
    case 'kernel-bug': return 'kernel BUG'
    case 'invalid-opcode': return 'invalid opcode'
    case 'divide-error': return 'divide error'
    case 'stack-segment': return 'stack segment fault'
    case 'double-fault': return 'double fault'
    case 'oops': return d && !/^oops$/i.test(d) ? `Oops: ${normaliseWords(d)}` : 'Oops'
    case 'panic': return `Kernel panic - not syncing: ${normaliseWords(d)}`.replace(/: $/, '')
    case 'kasan': return `KASAN: ${d}${t.access ? ` ${t.access}` : ''}`
    case 'kmsan': return `KMSAN: ${d}`
    case 'kfence': return `KFENCE: ${d}`
    case 'kcsan': return `KCSAN: ${d}`
    case 'ubsan': return `UBSAN: ${d}`
    case 'hung-task': return 'INFO: task hung'
    case 'alloc-failure': return 'page allocation failure'
    case 'rcu-stall': return 'INFO: rcu detected stall'
    case 'soft-lockup': return 'BUG: soft lockup'
    case 'hard-lockup': return 'watchdog: hard LOCKUP'
    case 'lockdep':
      if (/circular|recursive|deadlock/.test(d)) return 'possible deadlock'
      if (/rcu_dereference|RCU usage/.test(d)) return 'suspicious RCU usage'
      return d.replace(/!$/, '')
    case 'atomic-sleep': return `BUG: ${d.replace(/ (?:suspected|in preemptible)$/, '')}`
    case 'slab': return d.replace(/ \((?:Not tainted|Tainted: [A-Z ]*)\)/, '')
    case 'nmi': return `NMI: ${normaliseWords(d)}`
    case 'mce': return `MCE: ${d}`
    case 'bug': return `BUG: ${bugMessage(d)}`
  }
}

const NO_FUNC_KINDS: ReadonlySet<OopsKind> = new Set<OopsKind>(['mce', 'nmi', 'kcsan', 'panic', 'slab'])

export function makeTitle(t: TitleInput): string {
  const stem = titleStem(t)
  if (t.kind === 'kcsan' && t.guilty) return `${stem} in ${t.guilty}`
  if (t.guilty && !NO_FUNC_KINDS.has(t.kind)) return `${stem} in ${canonicalFunc(bare(t.guilty))}`
  if (t.file && (t.kind === 'kernel-bug' || t.kind === 'warning' || t.kind === 'ubsan')) return `${stem} at ${t.file}`
  return stem
}

/** `spinlock lockup suspected on CPU#0, comm/73` -> `spinlock lockup suspected`. */
function bugMessage(d: string): string {
  const cut = d.search(/,| - | at | in | on | for | \[|: |\(|\d/)
  return (cut > 0 ? d.slice(0, cut) : d).trim()
}

/** Drop numbers and addresses that vary between occurrences. */
function normaliseWords(s: string): string {
  return s
    .replace(/0x[0-9a-f]+|\b[0-9a-f]{8,}\b/gi, 'ADDR')
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .trim()
}

/** 16 hex digits over the title stem and the first four non-generic reliable frames (callers further out vary with the path that reached the bug). */
export function stackHash(kind: OopsKind, stem: string, guilty: string | null, frames: Frame[]): string {
  const names: string[] = []
  for (const f of frames) {
    if (f.unreliable || isGeneric(f.func)) continue
    const n = canonicalFunc(f.func)
    if (names[names.length - 1] !== n) names.push(n)
    if (names.length >= 4) break
  }
  if (names.length === 0 && guilty) names.push(canonicalFunc(bare(guilty)))
  const h = createHash('sha256')
  h.update(`${family(kind)}\n${stem}\n${names.join('\n')}`)
  return h.digest('hex').slice(0, 16)
}

/** Kinds that are the same failure printed differently by old and new kernels hash alike. */
function family(kind: OopsKind): string {
  return kind === 'invalid-opcode' ? 'kernel-bug' : kind
}
