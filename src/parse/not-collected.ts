/**
 * What the report could not include, and why: capture entries that did not end well, and facts
 * that no captured source could establish. Shown as "not collected because ..." instead of a gap.
 */
import type {CaptureView} from '../capture/view.js'
import type {LevelModel} from '../model/level.js'

type NotCollected = LevelModel['notCollected'][number]
type Facts = Pick<LevelModel, 'cpu' | 'kernel' | 'kvm' | 'virt' | 'kernelLog' | 'level'>

/** Commands whose exit status 1 is an answer ("none": nothing detected), not a failure. */
const EXIT_ONE_IS_ANSWER = new Set(['systemd-detect-virt-vm', 'systemd-detect-virt-container'])

/**
 * A missing file is a fact about the machine (no /proc/xen: not Xen), not a gap; a missing
 * command is a gap (the tool is not installed); a fallback skipped because the first choice
 * worked is neither.
 */
function isGap(e: {kind: string; id: string; status: string; exitCode?: number | null; reason?: string}): boolean {
  switch (e.status) {
    case 'ok':
      return false
    case 'failed':
      return !(e.kind === 'command' && e.exitCode === 1 && EXIT_ONE_IS_ANSWER.has(e.id))
    case 'missing':
      return e.kind === 'command'
    case 'skipped':
      return !/fallback not needed|not needed|not applicable/i.test(e.reason ?? '')
    default:
      return true
  }
}

export function notCollectedEntries(view: CaptureView): NotCollected[] {
  const out: NotCollected[] = []
  const seen = new Set<string>()
  for (const e of view.manifest.entries) {
    if (!e || typeof e !== 'object' || typeof e.id !== 'string' || !isGap(e)) continue
    const what = e.kind === 'command' ? (Array.isArray(e.argv) ? e.argv.join(' ') : e.id) : e.id
    const key = `${e.group}\0${what}`
    if (seen.has(key)) continue
    seen.add(key)
    let why = view.whyMissing(e.kind, e.id)
    // The command's own first line of complaint says more than its exit status.
    const said = e.kind === 'command' && e.status === 'failed' ? view.command(e.id)?.stderr.trim().split('\n')[0]?.trim() : undefined
    if (said && !why.includes(said)) why = `${why}: ${said.slice(0, 200)}`
    out.push({what, group: String(e.group), why})
  }
  return out
}

/** Facts the model leaves null, said in words, with the capture entries that would have told. */
export function underivedFacts(view: CaptureView, facts: Facts): NotCollected[] {
  const out: NotCollected[] = []
  const why = (kind: 'file' | 'command' | 'stat' | 'cpuid', id: string) => {
    const reason = view.whyMissing(kind, id)
    return reason.includes(id) ? reason : `${id}: ${reason}`
  }
  const add = (what: string, group: string, reason: string) => out.push({what, group, why: reason})

  if (facts.cpu.modelName.value === null) add('CPU model name', 'cpu', why('file', '/proc/cpuinfo'))
  if (facts.cpu.flagsSource === '') add('CPU flags (vmx/svm/hypervisor)', 'cpu', why('file', '/proc/cpuinfo'))
  if (facts.cpu.cpuid === null && /^(x86_64|i[3-6]86)$/.test(view.manifest.arch)) {
    add('raw CPUID (hypervisor signature)', 'cpu', `${why('cpuid', '/dev/cpu/0/cpuid')}; ${why('command', 'cpuid')}`)
  }
  if (facts.kernel.release.value === null) add('kernel release', 'kernel', why('file', '/proc/sys/kernel/osrelease'))
  if (facts.kernel.cmdline.value === null) add('kernel command line', 'kernel', why('file', '/proc/cmdline'))
  if (facts.kernel.tainted.value === null) add('kernel taint state', 'kernel', why('file', '/proc/sys/kernel/tainted'))
  if (facts.kvm.devKvm.present === null) add('/dev/kvm presence', 'kvm', why('stat', '/dev/kvm'))
  if (facts.kernelLog.source === null) {
    const tried = ['dmesg', 'journal-kernel'].map((id) => why('command', id))
    tried.push(why('file', '/var/log/kern.log'), why('file', '/var/log/messages'))
    add('kernel log', 'kernel-log', `no source readable (${tried.join('; ')})`)
  }
  if (facts.virt.hypervisor === 'unknown' && facts.virt.isGuest !== false) add('hypervisor below this level', 'virt', facts.level.reasons[0] ?? 'no evidence')
  if (facts.level.detected === null) add('level (L0/L1/L2)', 'virt', 'whether this is a guest could not be told; use --level to set it')
  return out
}
