/**
 * KVM and nested-virtualization messages (shared/notes/kernel-log-formats.md §1, rows 22-36),
 * classified separately from crash reports and never counted as crashes.
 */
import type {Severity} from './types.js'

export interface KvmPattern {
  id: string
  severity: Severity
  re: RegExp
  /** Also searched in non-kernel lines (QEMU stderr in libvirt logs, journal entries of qemu). */
  qemu?: boolean
}

export const KVM_PATTERNS: readonly KvmPattern[] = [
  // VMX instruction failures (vmx_insn_failed: WARN_ONCE + ratelimited pr_warn); in L1 => L0 returned VMfail.
  {id: 'vmx-insn-failed', severity: 'warning', re: /^(?:kvm(?:_intel)?: )?(?:vmwrite|vmread|vmclear|vmptrld|invvpid|invept) failed\b/},
  {id: 'vmx-insn-error', severity: 'warning', re: /^(?:kvm(?:_intel)?: )?vmwrite error: reg /},
  {id: 'unchecked-msr', severity: 'warning', re: /^unchecked MSR access error: (?:RDMSR|WRMSR)/},
  {id: 'ignored-msr', severity: 'info', re: /^kvm(?:_intel|_amd)? \[\d+\]: vcpu\d+,?(?: guest rIP: 0x[0-9a-f]+)? ignored (?:rdmsr|wrmsr)/},
  {id: 'unhandled-msr', severity: 'warning', re: /^kvm(?:_intel|_amd)? \[\d+\]: vcpu\d+,?(?: guest rIP: 0x[0-9a-f]+)? unhandled (?:rdmsr|wrmsr)/},
  {id: 'perfctr-msr', severity: 'info', re: /^kvm(?:_intel|_amd)? \[\d+\]: vcpu\d+,?(?: guest rIP: 0x[0-9a-f]+)? disabled perfctr (?:rdmsr|wrmsr)/},
  {id: 'vmx-unsupported', severity: 'config', re: /^(?:kvm_intel|kvm): VMX not supported by CPU\b|^kvm: no hardware support\b/},
  {id: 'vmx-disabled-bios', severity: 'config', re: /^(?:kvm_intel|kvm): VMX not enabled \(by BIOS\)|^kvm: disabled by bios|^x86\/cpu: VMX \(outside TXT\) disabled by BIOS/},
  {id: 'svm-unsupported', severity: 'config', re: /^(?:kvm_amd|kvm): SVM not supported by CPU\b|^(?:kvm_amd|kvm): CPU \d+ isn't AMD or Hygon|^(?:kvm_amd|kvm): (?:SVM not supported|not amd or hygon)/i},
  {id: 'svm-disabled-bios', severity: 'config', re: /^(?:kvm_amd|kvm): SVM disabled \(by BIOS\)/},
  {id: 'vendor-already-loaded', severity: 'info', re: /^kvm: already loaded (?:vendor module|the other module)/},
  {id: 'nested-enabled', severity: 'info', re: /^(?:kvm_amd|kvm_intel|kvm): Nested Virtualization enabled/},
  {id: 'npt', severity: 'info', re: /^(?:kvm_amd|kvm): Nested Paging (?:enabled|disabled)/},
  {id: 'ept', severity: 'info', re: /^(?:kvm_intel|kvm): (?:EPT|Nested EPT) (?:enabled|disabled|support)/},
  {id: 'l1tf', severity: 'info', re: /^(?:kvm_intel|kvm): L1TF CPU bug present/},
  {id: 'lapic-timer-limited', severity: 'info', re: /^kvm: vcpu \d+: requested \d+ ns lapic timer period limited/},
  {id: 'tsc-unstable', severity: 'warning', re: /^clocksource: (?:timekeeping watchdog on CPU\d+: )?Marking clocksource 'tsc' as unstable/},
  {id: 'clocksource-switch', severity: 'info', re: /^clocksource: Switched to clocksource (?:kvm-clock|hpet|acpi_pm|hyperv_clocksource\w*)/},
  {id: 'hypervisor-detected', severity: 'info', re: /^Hypervisor detected: /},
  {id: 'kvm-clock', severity: 'info', re: /^kvm-clock: Using msrs /},
  {id: 'paravirt-kvm', severity: 'info', re: /^Booting paravirtualized kernel on (?:KVM|Xen|Hyper-V|VMware)/},
  {id: 'kvm-emulation-failure', severity: 'error', re: /^kvm(?:_intel|_amd)?: (?:emulation failure|vcpu\d+: emulation failure)|KVM: emulation failure/},
  {id: 'kvm-spectre', severity: 'info', re: /^kvm(?:_intel|_amd)?: .*(?:MDS CPU bug present|TAA CPU bug present|SMT enabled with)/},
  // QEMU stderr (libvirt /var/log/libvirt/qemu/<dom>.log): not in dmesg.
  {id: 'qemu-entry-failed', severity: 'fatal', re: /KVM: entry failed, hardware error 0x[0-9a-f]+/, qemu: true},
  {id: 'qemu-internal-error', severity: 'fatal', re: /KVM internal error\. Suberror: \d+/, qemu: true},
  {id: 'qemu-set-msr-failed', severity: 'error', re: /(?:error: )?failed to set MSR 0x[0-9a-f]+|kvm_buf_set_msrs: Assertion|kvm_put_msrs: Assertion/, qemu: true},
  {id: 'qemu-kvm-unavailable', severity: 'config', re: /Could not access KVM kernel module|failed to initialize kvm|KVM is not supported by this host|(?:kvm|KVM) (?:acceleration|accelerator) not available|host doesn't support requested feature: CPUID\.\w+:\w+\.vmx/, qemu: true},
  {id: 'qemu-kvm-run-failed', severity: 'error', re: /error: kvm run failed|KVM_RUN failed|kvm_run: Assertion/, qemu: true},
]

/**
 * Cheap pre-filter. Kernel patterns are anchored at the start of the kernel text, so a few
 * `startsWith` decide; QEMU's are not, but each contains `KVM`, `kvm` or `MSR`. Plain string
 * tests are much faster than one alternation regex over millions of lines.
 */
const PREFIXES = ['kvm', 'clocksource:', 'Hypervisor detected', 'unchecked MSR', 'x86/cpu: VMX', 'Booting paravirtualized', 'vm', 'inv']

function candidate(text: string): boolean {
  for (const p of PREFIXES) if (text.startsWith(p)) return true
  return text.includes('KVM') || text.includes('kvm') || text.includes('MSR')
}

export function classifyKvm(text: string, kernel: boolean): KvmPattern | null {
  if (!candidate(text)) return null
  for (const p of KVM_PATTERNS) {
    if (!kernel && !p.qemu) continue
    if (p.re.test(text)) return p
  }
  return null
}
