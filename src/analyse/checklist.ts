/**
 * The kernel documentation's list of what to attach to a nested bug report
 * (Documentation/virt/kvm/x86/running-nested-guests.rst, "Reporting bugs from nested setups"),
 * per level: a tick with the place in the combined archive, or the reason it is missing. The
 * document asks for these from L0 and L1 (the QEMU command lines of L1 and L2 live there); what
 * an L2 bundle holds is ticked too, and what it lacks is marked not applicable rather than missing.
 * Reasons come from the capture manifest (CaptureView.whyMissing) and LevelModel.notCollected.
 */
import {commandEntryNames, fileEntryName} from '../capture/layout.js'
import type {Capture, ManifestEntry} from '../capture/types.js'
import {CaptureView} from '../capture/view.js'
import type {ChecklistCell, ChecklistItem} from '../model/combined.js'
import type {LevelModel, LevelName} from '../model/level.js'
import {isX86, mainQemuBinary} from './findings/common.js'

export interface ChecklistLevel {
  level: LevelName
  model: LevelModel
  capture?: Capture
  /** This level's directory inside the combined archive ("L1"). */
  archiveDir: string
  /** No level below this one was given or exists: a QEMU command line is not expected. */
  innermost: boolean
}

interface Ctx extends ChecklistLevel {
  view: CaptureView | null
}

interface ItemDef {
  key: string
  item: string
  /** Levels the documentation asks it from (it asks nothing of L2; /proc/sysinfo only of L1). */
  askedAt?: LevelName[]
  cell: (ctx: Ctx) => ChecklistCell
}

const ASKED_AT_DEFAULT: LevelName[] = ['L0', 'L1']

/** Archive path of a model source ("/proc/cpuinfo", "command:dmesg"), or undefined when it is not a captured entry. */
export function archivePathOf(archiveDir: string, source: string | null | undefined): string | undefined {
  if (!source) return undefined
  const command = /^command:([\w.-]+)$/.exec(source)
  if (command) return `${archiveDir}/${commandEntryNames(command[1]).out}`
  if (source.startsWith('/')) return `${archiveDir}/${fileEntryName(source)}`
  return undefined
}

function why(ctx: Ctx, kind: ManifestEntry['kind'], id: string, fallback: string): string {
  const nc = ctx.model.notCollected.find((n) => n.what === id || n.what === `command:${id}` || n.what.includes(id))
  if (nc) return nc.why
  if (ctx.view) return ctx.view.whyMissing(kind, id)
  return fallback
}

function commandCell(ctx: Ctx, id: string): ChecklistCell {
  const out = ctx.view?.command(id)
  if (out && out.status === 'ok' && out.stdout.trim() !== '') return {ok: true, where: archivePathOf(ctx.archiveDir, `command:${id}`)}
  if (!ctx.view && !ctx.model.notCollected.some((n) => n.what.includes(id))) return {ok: false, why: 'unknown: the capture was not available'}
  return {ok: false, why: why(ctx, 'command', id, 'not captured')}
}

const notApplicable = (reason: string): ChecklistCell => ({ok: false, notApplicable: true, why: reason})

const CHECKLIST: ItemDef[] = [
  {
    key: 'kernel-version',
    item: 'Kernel version',
    cell: (ctx) => {
      const r = ctx.model.kernel.release
      return r.value ? {ok: true, where: archivePathOf(ctx.archiveDir, r.source) ?? r.source} : {ok: false, why: why(ctx, 'file', '/proc/sys/kernel/osrelease', 'not captured')}
    },
  },
  {
    key: 'libvirt-version',
    item: 'libvirt version',
    cell: (ctx) => {
      const {libvirtdVersion: d, virshVersion: v} = ctx.model.libvirt
      const found = d.value ? d : v.value ? v : null
      if (found) return {ok: true, where: archivePathOf(ctx.archiveDir, found.source) ?? found.source}
      return {ok: false, why: why(ctx, 'command', 'libvirtd-version', 'libvirt is not installed')}
    },
  },
  {
    key: 'qemu-version',
    item: 'QEMU version',
    cell: (ctx) => {
      const b = mainQemuBinary(ctx.model)
      if (b) return {ok: true, where: archivePathOf(ctx.archiveDir, b.source) ?? b.source}
      const nc = ctx.model.notCollected.find((n) => n.group === 'qemu')
      return {ok: false, why: nc?.why ?? 'no QEMU binary installed (searched PATH, /usr/libexec, /usr/local/bin)'}
    },
  },
  {
    key: 'qemu-cmdline',
    item: 'QEMU command line',
    cell: (ctx) => {
      const p = ctx.model.qemu.processes[0]
      if (p) return {ok: true, where: `${ctx.archiveDir}/${fileEntryName(`/proc/${p.pid}/cmdline`)}`}
      const d = ctx.model.libvirt.domains.find((x) => x.lastCommandLine && x.logFile)
      if (d) return {ok: true, where: archivePathOf(ctx.archiveDir, d.logFile)}
      if (ctx.innermost) return notApplicable(`no guest runs inside ${ctx.level}`)
      return {ok: false, why: 'no QEMU process was running and no libvirt log holds a command line'}
    },
  },
  {
    key: 'cpuinfo',
    item: '/proc/cpuinfo',
    cell: (ctx) =>
      ctx.model.cpu.modelName.value !== null || ctx.model.cpu.flags.length > 0 || ctx.view?.has('/proc/cpuinfo')
        ? {ok: true, where: archivePathOf(ctx.archiveDir, '/proc/cpuinfo')}
        : {ok: false, why: why(ctx, 'file', '/proc/cpuinfo', 'not captured')},
  },
  {
    key: 'lscpu',
    item: 'lscpu',
    cell: (ctx) => (ctx.model.cpu.lscpu ? {ok: true, where: archivePathOf(ctx.archiveDir, 'command:lscpu')} : commandCell(ctx, 'lscpu')),
  },
  {
    key: 'dmesg',
    item: 'Full dmesg',
    cell: (ctx) => {
      const source = ctx.model.kernelLog.source
      if (source) return {ok: true, where: archivePathOf(ctx.archiveDir, source) ?? source}
      return {ok: false, why: why(ctx, 'command', 'dmesg', 'no kernel log captured')}
    },
  },
  {
    key: 'x86info',
    item: 'x86info -a (x86)',
    cell: (ctx) => (isX86(ctx.model) ? commandCell(ctx, 'x86info') : notApplicable('x86 only')),
  },
  {
    key: 'dmidecode',
    item: 'dmidecode (x86)',
    cell: (ctx) => (isX86(ctx.model) ? commandCell(ctx, 'dmidecode') : notApplicable('x86 only')),
  },
  {
    key: 'sysinfo',
    item: '/proc/sysinfo (s390x)',
    askedAt: ['L1'],
    cell: (ctx) => {
      if (ctx.model.cpu.arch.value !== 's390x') return notApplicable('s390x only')
      return ctx.view?.has('/proc/sysinfo')
        ? {ok: true, where: archivePathOf(ctx.archiveDir, '/proc/sysinfo')}
        : {ok: false, why: why(ctx, 'file', '/proc/sysinfo', 'not captured')}
    },
  },
]

/** The checklist for the levels given, in the documentation's order. */
export function buildChecklist(levels: ChecklistLevel[]): ChecklistItem[] {
  const contexts: Ctx[] = levels.map((l) => ({...l, view: l.capture ? new CaptureView(l.capture) : null}))
  return CHECKLIST.map((def) => {
    const perLevel: ChecklistItem['perLevel'] = {}
    for (const ctx of contexts) {
      const cell = def.cell(ctx)
      const asked = def.askedAt ?? ASKED_AT_DEFAULT
      // Collected anyway at a level the documentation does not ask about: keep the tick.
      perLevel[ctx.level] = cell.ok || cell.notApplicable || asked.includes(ctx.level) ? cell : notApplicable(`asked for at ${asked.join(' and ')} only; ${cell.why ?? 'not collected'}`)
    }
    return {key: def.key, item: def.item, perLevel}
  })
}
