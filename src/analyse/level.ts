/**
 * Which level (L0/L1/L2) this is, given the hypervisor verdict, and whether a container wraps the
 * shell the capture ran in.
 */
import type {Evidence, KvmFacts, LevelName} from '../model/level.js'
import type {VirtRaw} from '../parse/virt.js'
import type {HypervisorVerdict} from './hypervisor.js'

export interface ContainerVerdict {
  kind: string | null
  evidence: Evidence[]
}

/** Containers are reported apart from the VM answer: Docker inside a KVM guest is still that guest. */
export function detectContainer(virt: VirtRaw): ContainerVerdict {
  const evidence: Evidence[] = []
  const kinds: string[] = []
  const add = (kind: string, fact: string, source: string) => {
    evidence.push({fact, source, indicates: 'container'})
    kinds.push(kind)
  }
  const sdv = virt.systemdDetectVirt.container
  if (sdv && sdv !== 'none') add(sdv, `systemd-detect-virt --container: ${sdv}`, 'command:systemd-detect-virt-container')
  if (virt.markers.dockerenv) add('docker', '/.dockerenv exists', '/.dockerenv')
  if (virt.markers.containerenv) add('podman', '/run/.containerenv exists', '/run/.containerenv')
  if (virt.markers.systemdContainer) add(virt.markers.systemdContainer, `/run/systemd/container = ${virt.markers.systemdContainer}`, '/run/systemd/container')
  const cgroup = virt.markers.pid1Cgroup ?? ''
  const cg: Array<[RegExp, string]> = [
    [/\/docker[/-]/, 'docker'],
    [/libpod/, 'podman'],
    [/\/lxc(\.payload)?[/.]/, 'lxc'],
    [/kubepods/, 'kubernetes'],
    [/containerd/, 'containerd'],
  ]
  for (const [re, kind] of cg) {
    const line = cgroup.split('\n').find((l) => re.test(l))
    if (line) add(kind, `PID 1 cgroup ${line.trim()}`, '/proc/1/cgroup')
  }
  for (const f of virt.virtWhat ?? []) {
    if (/^(docker|podman|lxc|openvz|linux_vserver.*|illumos-lx)$/.test(f)) add(f, `virt-what: ${f}`, 'command:virt-what')
  }
  if (sdv === 'none' && kinds.length === 0) evidence.push({fact: 'systemd-detect-virt --container: none', source: 'command:systemd-detect-virt-container', indicates: 'no-container'})
  return {kind: kinds[0] ?? null, evidence}
}

export interface LevelInputs {
  verdict: Pick<HypervisorVerdict, 'isGuest' | 'hypervisor' | 'hypervisorDetail' | 'reasons'>
  devKvm: KvmFacts['devKvm']
  vendorModule: string | null
  qemuProcesses: Array<{pid: number; accel: string}>
  /**
   * Signs that this level is set up to run guests although it runs none now. Strong ones (a KVM
   * vendor module that failed to load, libvirt domains defined, kvm options in modprobe.d or on the
   * kernel command line, a non-hardware vendor module such as kvm_pvm) make an L1 even without
   * /dev/kvm; weak ones (QEMU or libvirt installed) only together with /dev/kvm.
   */
  hypervisorIntent?: Array<{fact: string; strong: boolean}>
  override?: string | null
}

export interface LevelVerdict {
  detected: LevelName | null
  detectedRole: 'bare-metal-host' | 'guest-hypervisor' | 'guest' | 'unknown'
  reasons: string[]
  override: LevelName | null
  effective: LevelName | null
}

/**
 * Bare metal is L0. A guest running QEMU is L1. A guest that only has /dev/kvm is ambiguous: a
 * stock kernel autoloads kvm_amd/kvm_intel in any guest that sees svm/vmx, L2s included, so
 * /dev/kvm counts as "runs a hypervisor" only beside a sign that the level is set up for it.
 */
export function detectLevel(inp: LevelInputs): LevelVerdict {
  const reasons = [...inp.verdict.reasons]
  const devKvm = inp.devKvm.present ? `/dev/kvm present${inp.vendorModule ? ` (provided by ${inp.vendorModule})` : ''}` : null
  const running =
    inp.qemuProcesses.length > 0
      ? `${inp.qemuProcesses.length} QEMU process(es) running (${inp.qemuProcesses.filter((p) => p.accel === 'kvm').length} with KVM)`
      : null
  const intent = inp.hypervisorIntent ?? []
  const strong = intent.filter((i) => i.strong).map((i) => i.fact)
  const all = intent.map((i) => i.fact)
  let detected: LevelName | null = null
  let detectedRole: LevelVerdict['detectedRole'] = 'unknown'
  const l1 = (why: string) => {
    detected = 'L1'
    detectedRole = 'guest-hypervisor'
    reasons.push(why)
  }
  if (inp.verdict.isGuest === false) {
    detected = 'L0'
    detectedRole = 'bare-metal-host'
    const runs = [devKvm, running].filter(Boolean)
    if (runs.length > 0) reasons.push(`runs a hypervisor: ${runs.join('; ')}`)
    else reasons.push('bare metal without /dev/kvm or QEMU: the host level of a setup that is not running guests now')
  } else if (inp.verdict.isGuest === true) {
    if (running) l1(`a guest that runs a hypervisor: ${[running, devKvm].filter(Boolean).join('; ')}`)
    else if (devKvm && all.length > 0) l1(`a guest that runs a hypervisor: ${devKvm}, set up for guests (${all.join('; ')})`)
    else if (strong.length > 0) l1(`a guest meant to run guests (${strong.join('; ')}) but without ${devKvm ? 'a running QEMU' : '/dev/kvm or a running QEMU'}`)
    else {
      detected = 'L2'
      detectedRole = 'guest'
      reasons.push('a guest running no guests; in a nested setup this is the innermost level')
      if (devKvm) reasons.push(`${devKvm}, but nothing here is set up to run guests (no QEMU, libvirt or kvm options): give --level L1 if this level is meant to host one`)
    }
  } else {
    reasons.push('level not detected: whether this is a guest could not be told')
  }

  let override: LevelName | null = null
  const raw = inp.override?.trim()
  if (raw) {
    const norm = raw.toUpperCase()
    if (norm === 'L0' || norm === 'L1' || norm === 'L2') {
      override = norm
      if (override !== detected) reasons.push(`--level ${override} given; detected ${detected ?? 'nothing'} is kept beside it`)
    } else {
      reasons.push(`--level "${raw}" ignored: not L0, L1 or L2`)
    }
  }
  return {detected, detectedRole, reasons, override, effective: override ?? detected}
}
