/**
 * Raw virtualization facts (DMI, clocksources, systemd-detect-virt, virt-what, /sys/hypervisor,
 * device tree, s390 sysinfo, container markers). What they add up to is decided in
 * src/analyse/hypervisor.ts, which weighs them together with CPUID and the kernel log, and
 * src/analyse/level.ts (containers).
 */
import type {CaptureView} from '../capture/view.js'
import {lines} from './sourced.js'

const DMI_DIR = '/sys/class/dmi/id'
const CLOCKSOURCE_DIR = '/sys/devices/system/clocksource/clocksource0'

export interface VirtRaw {
  dmi: Record<string, string>
  /** Where the DMI fields came from: /sys/class/dmi/id, or command:dmidecode on kernels without it. */
  dmiSource: string
  /** false: the machine has no DMI (Firecracker, most arm64 boards); null: not captured. */
  dmiPresent: boolean | null
  clocksource: {current: string | null; available: string[]; source: string}
  systemdDetectVirt: {vm: string | null; container: string | null}
  virtWhat: string[] | null
  hypervisorType: string | null
  xenCapabilities: string | null
  deviceTreeHypervisor: string | null
  sysinfo: string | null
  markers: {dockerenv: boolean; containerenv: boolean; systemdContainer: string | null; pid1Cgroup: string | null}
}

export function parseVirtRaw(view: CaptureView): VirtRaw {
  return {
    ...dmi(view),
    clocksource: clocksource(view),
    systemdDetectVirt: {vm: detectVirtAnswer(view, 'systemd-detect-virt-vm'), container: detectVirtAnswer(view, 'systemd-detect-virt-container')},
    virtWhat: virtWhat(view),
    hypervisorType: view.value('/sys/hypervisor/type') || null,
    xenCapabilities: view.value('/proc/xen/capabilities'),
    // Device-tree strings are NUL-separated lists.
    deviceTreeHypervisor: view.text('/proc/device-tree/hypervisor/compatible')?.replace(/\0+$/, '').replace(/\0/g, ',') ?? null,
    sysinfo: view.text('/proc/sysinfo'),
    markers: {
      dockerenv: view.has('/.dockerenv'),
      containerenv: view.has('/run/.containerenv'),
      systemdContainer: view.value('/run/systemd/container') || null,
      pid1Cgroup: view.text('/proc/1/cgroup'),
    },
  }
}

/** Files that identify hardware, not the instance; serials and UUIDs are left to the redactor. */
function dmi(view: CaptureView): Pick<VirtRaw, 'dmi' | 'dmiSource' | 'dmiPresent'> {
  const fields: Array<[string, string]> = []
  for (const name of view.list(DMI_DIR)) {
    const text = view.text(`${DMI_DIR}/${name}`)
    if (text === null || name === 'uevent' || name === 'modalias') continue
    const v = text.replace(/\n+$/, '')
    if (!v.includes('\n')) fields.push([name, v.trim()])
  }
  let dmiSource = DMI_DIR
  if (fields.length === 0) {
    fields.push(...dmidecodeFields(view.commandOutput('dmidecode')))
    dmiSource = 'command:dmidecode'
  }
  const out: Record<string, string> = Object.fromEntries(fields)
  if (fields.length > 0) return {dmi: out, dmiSource, dmiPresent: true}
  const entries = view.manifest.entries.filter((e) => typeof e?.id === 'string' && e.id.startsWith(DMI_DIR))
  return {dmi: out, dmiSource: '', dmiPresent: entries.length > 0 && entries.every((e) => e.status === 'missing') ? false : null}
}

/** The sysfs DMI names of dmidecode's BIOS/System/Base Board fields, for kernels without /sys/class/dmi. */
const DMIDECODE_FIELDS: Record<string, Record<string, string>> = {
  'BIOS Information': {Vendor: 'bios_vendor', Version: 'bios_version', 'Release Date': 'bios_date'},
  'System Information': {Manufacturer: 'sys_vendor', 'Product Name': 'product_name', Version: 'product_version'},
  'Base Board Information': {Manufacturer: 'board_vendor', 'Product Name': 'board_name'},
}

function dmidecodeFields(text: string | null): Array<[string, string]> {
  if (!text) return []
  const out: Array<[string, string]> = []
  let section: Record<string, string> | undefined
  for (const line of lines(text)) {
    if (!line.startsWith('\t')) {
      section = Object.hasOwn(DMIDECODE_FIELDS, line.trim()) ? DMIDECODE_FIELDS[line.trim()] : undefined
      continue
    }
    const m = /^\t([^:\t]+):\s*(.*?)\s*$/.exec(line)
    if (section && m && Object.hasOwn(section, m[1]) && m[2]) out.push([section[m[1]], m[2]])
  }
  return out
}

function clocksource(view: CaptureView): VirtRaw['clocksource'] {
  const available = view.value(`${CLOCKSOURCE_DIR}/available_clocksource`)
  const current = view.value(`${CLOCKSOURCE_DIR}/current_clocksource`)
  return {
    current: current || null,
    available: available ? available.split(/\s+/).filter(Boolean) : [],
    source: available !== null ? `${CLOCKSOURCE_DIR}/available_clocksource` : current !== null ? `${CLOCKSOURCE_DIR}/current_clocksource` : '',
  }
}

/** systemd-detect-virt prints `none` and exits 1 when it finds nothing: that is an answer too. */
function detectVirtAnswer(view: CaptureView, id: string): string | null {
  const c = view.command(id)
  if (!c || (c.status !== 'ok' && c.status !== 'failed')) return null
  const answer = c.stdout.trim().split('\n')[0]?.trim()
  return answer && /^[\w-]+$/.test(answer) ? answer : null
}

/** virt-what: one fact per line; empty output with success means bare metal. */
function virtWhat(view: CaptureView): string[] | null {
  const out = view.commandOutput('virt-what')
  if (out === null) return null
  return lines(out)
    .map((l) => l.trim())
    .filter((l) => /^[\w-]+$/.test(l))
}
