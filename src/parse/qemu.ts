/**
 * QEMU facts: installed emulator versions and every running QEMU process — what its command line
 * asks for, and what it really runs on. The runtime truth beats the command line: a KVM QEMU holds
 * /dev/kvm and anon_inode:kvm-vm / kvm-vcpu:N descriptors, a TCG one none; with debug-threads=on
 * (libvirt always sets it) vCPU threads are named "CPU n/KVM" or "CPU n/TCG".
 */
import type {CaptureView} from '../capture/view.js'
import type {Evidence, QemuFacts, QemuProcess} from '../model/level.js'

export interface QemuCommandLine {
  name: string | null
  /** kvm, tcg, a fallback list such as kvm:tcg, or the binary's default (see accelDefaulted). */
  requestedAccel: string | null
  /** No accelerator option: qemu-system-* defaults to TCG, Debian's kvm and RHEL's qemu-kvm to KVM. */
  accelDefaulted: boolean
  cpuModel: string | null
  machine: string | null
  incomingMigration: boolean
}

/** Options that take no value, so the argument after them is the next option. */
const FLAG_OPTIONS = new Set(['enable-kvm', 'no-kvm', 'nographic', 'no-reboot', 'no-shutdown', 'daemonize', 'S', 'snapshot', 'no-user-config', 'nodefaults', 'no-hpet', 'no-acpi', 'full-screen', 'enable-fips', 'version', 'help'])

/** Split a QEMU option value `a,b=c,d=e` (`,,` escapes a comma) into the implied first value and keys. */
export function splitOptionValue(value: string, impliedKey: string): Record<string, string> {
  const out: Record<string, string> = {}
  const trimmed = value.trim()
  if (trimmed.startsWith('{')) {
    // libvirt passes some options as JSON (-object '{"qom-type":...}'); take its scalar members.
    try {
      const obj = JSON.parse(trimmed) as Record<string, unknown>
      for (const [k, v] of Object.entries(obj)) if (v !== null && typeof v !== 'object') out[k] = String(v)
      return out
    } catch {
      return out
    }
  }
  const parts = value.replace(/,,/g, '\u0000').split(',').map((p) => p.replace(/\u0000/g, ','))
  parts.forEach((part, i) => {
    const eq = part.indexOf('=')
    if (eq < 0) {
      if (i === 0) out[impliedKey] = part
      else out[part] = 'on'
    } else {
      out[part.slice(0, eq)] = part.slice(eq + 1)
    }
  })
  return out
}

/**
 * The binary's own default accelerator. QEMU decides by the name it was started as, so Debian's
 * kvm symlink (exe link resolves to qemu-system-x86_64, argv[0] stays kvm) defaults to KVM, and
 * so does RHEL's qemu-kvm; every qemu-system-* defaults to TCG.
 */
function defaultAccel(...names: Array<string | null | undefined>): string {
  const kvmNamed = names.some((n) => {
    const base = (n ?? '').replace(/ \(deleted\)$/, '').split('/').pop() ?? ''
    return base === 'kvm' || base === 'qemu-kvm'
  })
  return kvmNamed ? 'kvm' : 'tcg'
}

export function parseQemuArgv(argv: string[], exe: string | null = argv[0] ?? null): QemuCommandLine {
  const accels: string[] = []
  let enableKvm = false
  let machineAccel: string | null = null
  let name: string | null = null
  let cpuModel: string | null = null
  let machine: string | null = null
  let incomingMigration = false
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('-')) continue
    const opt = arg.replace(/^--?/, '')
    const eq = opt.indexOf('=')
    // `--accel=kvm` style carries its value inline.
    const key = eq > 0 ? opt.slice(0, eq) : opt
    if (FLAG_OPTIONS.has(key)) {
      if (key === 'enable-kvm') enableKvm = true
      continue
    }
    const value = eq > 0 ? opt.slice(eq + 1) : argv[i + 1]
    if (eq <= 0) i++
    if (value === undefined) break
    switch (key) {
      case 'accel': {
        const kv = splitOptionValue(value, 'accel')
        const a = kv.accel ?? kv['qom-type']
        if (a) accels.push(a.replace(/-accel$/, ''))
        break
      }
      case 'machine':
      case 'M': {
        const kv = splitOptionValue(value, 'type')
        if (kv.type) machine = kv.type
        if (kv.accel) machineAccel = kv.accel
        break
      }
      case 'cpu':
        cpuModel = value
        break
      case 'name': {
        const kv = splitOptionValue(value, 'guest')
        name = kv.guest ?? null
        break
      }
      case 'incoming':
        incomingMigration = true
        break
      default:
        break
    }
  }
  let requestedAccel: string | null = null
  if (accels.length > 0) requestedAccel = accels.join(':')
  else if (machineAccel) requestedAccel = machineAccel
  else if (enableKvm) requestedAccel = 'kvm'
  const accelDefaulted = requestedAccel === null
  if (accelDefaulted) requestedAccel = defaultAccel(argv[0], exe)
  return {name, requestedAccel, accelDefaulted, cpuModel, machine, incomingMigration}
}

export function parseQemu(view: CaptureView): QemuFacts {
  return {binaries: binaries(view), processes: processes(view)}
}

/** `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)` -> `7.2.22 (Debian ...)`. */
export function qemuVersion(text: string): string | null {
  const m = /version\s+(\S.*?)\s*$/m.exec(text)
  return m ? m[1] : null
}

function binaries(view: CaptureView): QemuFacts['binaries'] {
  return view.manifest.entries
    .filter((e) => e.kind === 'command' && e.argv?.length === 2 && e.argv[1] === '--version' && /(^|\/)(qemu-system-[^/]+|qemu-kvm|kvm)$/.test(e.argv[0]))
    .map((e) => {
      const out = view.command(e.id)
      return {path: e.argv![0], version: out && out.status === 'ok' ? qemuVersion(out.stdout) : null, source: `command:${e.id}`}
    })
}

const VCPU_THREAD = /^CPU (\d+)\/(KVM|TCG|HVF|WHPX|Xen)\s*$/

function processes(view: CaptureView): QemuProcess[] {
  const pids = new Set<number>()
  // Any of the process-scan records marks a QEMU process (cmdline can be unreadable while fds are
  // not); /proc/1/cgroup, captured for container detection, is none of them.
  for (const path of view.match(/^\/proc\/\d+(@links|\/(cmdline|comm|status|fd@links))$/)) pids.add(Number(path.split(/[/@]/)[2]))
  return [...pids].sort((a, b) => a - b).map((pid) => qemuProcess(view, pid))
}

export function qemuProcess(view: CaptureView, pid: number): QemuProcess {
  const dir = `/proc/${pid}`
  const argv = (view.text(`${dir}/cmdline`) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1)
  const exe = view.links(dir)?.get('exe') ?? argv[0] ?? null
  const cmd = parseQemuArgv(argv, exe)
  const fds = view.links(`${dir}/fd`)
  const threads = view
    .list(`${dir}/task`)
    .map((tid) => view.value(`${dir}/task/${tid}/comm`))
    .filter((c): c is string => c !== null)
  const vcpuThreads = threads.filter((t) => VCPU_THREAD.test(t))

  const accelEvidence: Evidence[] = []
  let kvmFds: number | null = null
  if (fds) {
    const kvmTargets = [...fds.values()].filter((t) => t === '/dev/kvm' || t.startsWith('anon_inode:kvm-'))
    kvmFds = kvmTargets.length
    const vm = kvmTargets.filter((t) => t === 'anon_inode:kvm-vm').length
    const vcpu = kvmTargets.filter((t) => t.startsWith('anon_inode:kvm-vcpu')).length
    accelEvidence.push({
      fact: kvmFds > 0 ? `holds ${kvmFds} KVM descriptors (${vm} kvm-vm, ${vcpu} kvm-vcpu)` : 'holds no /dev/kvm or anon_inode:kvm-* descriptors',
      source: `${dir}/fd@links`,
      indicates: kvmFds > 0 ? 'kvm' : 'tcg',
    })
  }
  const threadAccels = new Set(vcpuThreads.map((t) => VCPU_THREAD.exec(t)![2].toLowerCase()))
  for (const a of threadAccels) {
    accelEvidence.push({fact: `vCPU threads named "CPU n/${a.toUpperCase()}"`, source: `${dir}/task/*/comm`, indicates: a})
  }
  accelEvidence.push({
    fact: cmd.accelDefaulted
      ? `no accelerator option: ${argv[0] ?? exe ?? 'this binary'} defaults to ${cmd.requestedAccel}`
      : `command line asks for ${cmd.requestedAccel}`,
    source: `${dir}/cmdline`,
    indicates: cmd.requestedAccel ?? 'unknown',
  })

  // Thread names are the kernel's own statement of what each vCPU runs; descriptors come next.
  let accel: QemuProcess['accel'] = 'unknown'
  if (threadAccels.size === 1) accel = toAccelerator([...threadAccels][0])
  else if (kvmFds !== null) accel = kvmFds > 0 ? 'kvm' : 'tcg'
  return {
    pid,
    exe,
    argv,
    name: cmd.name,
    requestedAccel: cmd.requestedAccel,
    accel,
    accelEvidence,
    kvmFds,
    vcpuThreads,
    cpuModel: cmd.cpuModel,
    machine: cmd.machine,
    incomingMigration: cmd.incomingMigration,
  }
}

function toAccelerator(a: string): QemuProcess['accel'] {
  return a === 'kvm' || a === 'tcg' || a === 'hvf' || a === 'whpx' || a === 'xen' ? a : 'unknown'
}
