/**
 * Result types of the kernel-log analyser. The JSON field names are part of the CLI contract
 * (`nestreport oops --json`) and are read by `collect` and `report`: keep them stable.
 */

export type OopsKind =
  | 'warning'
  | 'bug'
  | 'kernel-bug'
  | 'null-deref'
  | 'page-fault'
  | 'gpf'
  | 'oops'
  | 'invalid-opcode'
  | 'divide-error'
  | 'stack-segment'
  | 'double-fault'
  | 'panic'
  | 'kasan'
  | 'kfence'
  | 'kcsan'
  | 'kmsan'
  | 'ubsan'
  | 'hung-task'
  | 'rcu-stall'
  | 'soft-lockup'
  | 'hard-lockup'
  | 'lockdep'
  | 'atomic-sleep'
  | 'slab'
  | 'nmi'
  | 'mce'
  | 'alloc-failure'

export type Severity = 'info' | 'warning' | 'error' | 'config' | 'fatal'

export interface TaintFlag {
  letter: string
  name: string
}

export interface Taint {
  /** The flags as printed (`G        W  O` or the verbose `[W]=WARN, ...` line); '' for "Not tainted". */
  raw: string
  flags: TaintFlag[]
}

export interface Oops {
  /** What a developer would search for: `WARNING in nested_vmx_vmexit`. */
  title: string
  kind: OopsKind
  /** The header line as printed, prefix stripped. */
  header: string
  /** 1-based line numbers in the input as given. */
  startLine: number
  endLine: number
  /** A `Kernel panic - not syncing` followed this report. */
  panicked: boolean
  /** The report is probably incomplete or a consequence of an earlier one (see corruptedReason). */
  corrupted: boolean
  corruptedReason?: string
  taint: Taint | null
  cpu: number | null
  pid: number | null
  comm: string | null
  /** Faulting location as printed (`vmx_vcpu_run+0x1f/0x30 [kvm_intel]`): RIP, pc, NIP, PSW, EIP. */
  rip: string | null
  /** Reliable call-trace functions, innermost first, `name [module]`; unreliable ones only when nothing else. */
  frames: string[]
  /** The frame the title names (generic frames skipped), or null. */
  guiltyFrame: string | null
  /** 16 hex digits: same bug => same hash across reboots, levels and machines. */
  stackHash: string
  kvmRelated: boolean
  /** Extra detail: `Kernel panic - not syncing:` reason, die line, caller id. */
  panicReason?: string
  caller?: string
}

export interface KvmMessage {
  line: number
  /** Stable identifier of the pattern, e.g. `vmx-insn-failed`, `hypervisor-detected`. */
  pattern: string
  severity: Severity
  /** The message, prefix stripped. */
  text: string
}

export interface KernelLogAnalysis {
  file: string
  panicked: boolean
  oopses: Oops[]
  kvmMessages: KvmMessage[]
  /** Lines read. */
  lines: number
  /** Reports or KVM lines beyond the per-file caps (counted, not kept). */
  droppedOopses: number
  droppedKvmMessages: number
}

export interface AnalyseOptions {
  /** Name reported in `file` (default `-`). */
  file?: string
  /** Keep at most this many reports / KVM lines (default 1000 / 2000); the rest are counted. */
  maxOopses?: number
  maxKvmMessages?: number
}
