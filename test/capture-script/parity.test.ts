// The capture script and the Node collector on this very machine, parsed by the same
// buildLevelModel: the facts both captured must come out the same. Under dash the script uses the
// same commands as the live collector, so the whole model must agree; under busybox (a minimal
// guest's tools) the facts read from files must.
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readBundle} from '../../src/bundle/read.js'
import {captureLive} from '../../src/capture/live.js'
import type {Capture} from '../../src/capture/types.js'
import type {LevelModel} from '../../src/model/level.js'
import {buildLevelModel} from '../../src/parse/index.js'
import {archiveIn, runScript, SHELLS, type Shell, writeScript} from './shells.js'

const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-parity-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))
const script = writeScript(work)
const hostPath = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter((d) => d.startsWith('/'))

/** The parts of a model that describe the machine (not the capture run) and do not move by themselves. */
function machineFacts(model: LevelModel) {
  return {
    cpu: model.cpu,
    kernel: model.kernel,
    kvm: model.kvm,
    virt: model.virt,
    qemuBinaries: model.qemu.binaries,
    libvirt: model.libvirt,
    // Not the reasons: they count running QEMU processes, which a parallel test (the L2 e2e) changes.
    level: {detected: model.level.detected, role: model.level.detectedRole, effective: model.level.effective},
    notCollected: model.notCollected,
    kernelLog: {source: model.kernelLog.source, oopses: model.kernelLog.oopses.map((o) => o.title)},
  }
}

/** Facts parsed from files only, which any shell's tools capture byte for byte. */
function fileFacts(model: LevelModel) {
  // Without lscpu the architecture comes from the manifest (uname -m) instead: same value, other source.
  const {lscpu: _lscpu, arch, ...cpu} = model.cpu
  return {
    cpu: {...cpu, arch: arch.value},
    kernel: model.kernel,
    kvm: {devKvm: model.kvm.devKvm, modules: model.kvm.modules, vendorModule: model.kvm.vendorModule, nesting: model.kvm.nesting, modprobeOptions: model.kvm.modprobeOptions},
    virt: {dmi: model.virt.dmi, clocksource: model.virt.clocksource, container: model.virt.container.kind},
    libvirtDomains: model.libvirt.domains,
  }
}

let live: LevelModel
beforeAll(async () => {
  live = buildLevelModel(await captureLive({timeoutSeconds: 10}))
})

async function scriptCapture(shell: Shell, pathDirs: string[]): Promise<Capture> {
  const out = mkdtempSync(path.join(work, `${shell.name}-`))
  const run = await runScript(shell, script, ['-o', out, '-t', '10'], {pathPrefix: pathDirs})
  expect(run.status, run.stderr).toBe(0)
  return (await readBundle(archiveIn(out))).capture
}

describe.runIf(SHELLS.some((s) => s.name === 'dash'))('script under dash with the live PATH', () => {
  it('parses to the same model as a live capture of this machine', async () => {
    const dash = SHELLS.find((s) => s.name === 'dash')!
    const model = buildLevelModel(await scriptCapture(dash, hostPath))
    expect(model.capture.source).toBe('script')
    expect(machineFacts(model)).toEqual(machineFacts(live))
  })
})

describe.runIf(SHELLS.some((s) => s.name === 'busybox'))('script under busybox sh with busybox tools', () => {
  it('parses the facts read from files to the same values as a live capture', async () => {
    const busybox = SHELLS.find((s) => s.name === 'busybox')!
    // busybox applets come first (the tool dir); host commands such as lscpu only where busybox has none.
    const capture = await scriptCapture(busybox, [])
    const model = buildLevelModel(capture)
    expect(fileFacts(model)).toEqual(fileFacts(live))
    expect(model.cpu.cpuid).toEqual(live.cpu.cpuid)
  })
})
