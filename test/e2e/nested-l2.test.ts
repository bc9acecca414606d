// End to end on a real nested setup: this machine is an L1; it boots an L2 under QEMU TCG whose
// initramfs runs the generated capture script and sends the capture over the serial console.
// While that L2 runs, `collect` captures the L1; the combined report is then built from the L1
// bundle and the decoded L2 capture, and must tell, from evidence, what this setup is.
// Skipped (with the reason) only when QEMU cannot be installed here.
import {closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, expect, it} from 'vitest'

import {toolVersion} from '../../src/capture/manifest.js'
import {renderCaptureScript} from '../../src/capture/script.js'
import {writeSerialCapture} from '../../src/capture/serial.js'
import {collect, type CollectResult} from '../../src/collect.js'
import type {LevelModel} from '../../src/model/level.js'
import {buildCombinedReport, type CombinedReportResult} from '../../src/report.js'
import {REPO_ROOT} from '../helpers/report-run.js'
import {bootL2, buildInitramfs, type L2Kit, type L2Run, prepareL2} from './l2-harness.js'

const CACHE = path.join(REPO_ROOT, '.cache', 'l2')
const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-e2e-l2-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

const log = (m: string) => console.log(`nested-l2 e2e: ${m}`)

let kit: L2Kit | string
let l2Run: L2Run
let l1Collect: CollectResult
let report: CombinedReportResult
let l1: LevelModel
let l2: LevelModel

/** CPUID leaf 0x40000000 signature as this machine's cpuid driver gives it (null when unreadable). */
function hypervisorSignature(): string | null {
  try {
    const fd = openSync('/dev/cpu/0/cpuid', 'r')
    try {
      const leaf = Buffer.alloc(16)
      readSync(fd, leaf, 0, 16, 0x4000_0000)
      return leaf.subarray(4, 16).toString('latin1').replace(/\0+$/, '')
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
}

/** The module that provides /dev/kvm here, as /sys/module lists it. */
function kvmVendorModuleHere(): string | null {
  return ['kvm_pvm', 'kvm_intel', 'kvm_amd'].find((m) => existsSync(`/sys/module/${m}`)) ?? null
}

beforeAll(async () => {
  kit = await prepareL2(CACHE, log)
  if (typeof kit === 'string') return
  const captureArgs = "-b -l L2 -L 'e2e TCG L2' -t 5"
  const initrd = path.join(work, 'initramfs.cpio.gz')
  writeFileSync(initrd, buildInitramfs(kit, renderCaptureScript({producerVersion: toolVersion()}), captureArgs))
  const out = path.join(work, 'out')
  l2Run = await bootL2({
    kit,
    initrd,
    timeoutMs: 150_000,
    // The L1 is collected while its QEMU still runs the L2.
    whileRunning: async () => {
      l1Collect = await collect({outputDir: out, level: 'auto', label: 'e2e L1', timeoutSeconds: 10})
    },
  })
  log(`L2 capture on the console after ${Math.round(l2Run.captureMs!)} ms, QEMU exit after ${Math.round(l2Run.wallMs)} ms (${kit.kernelPackage})`)
  log(`L1 collect while the L2 ran: ${l1Collect.bundlePath}`)
  const l2Archive = await writeSerialCapture(l2Run.serial, {outputDir: out, source: 'the L2 serial console'})
  report = await buildCombinedReport({bundles: [l1Collect.bundlePath, l2Archive.written], outputDir: out})
  const byLevel = (name: string) => report.model.levels.find((l) => l.level === name)?.model
  l1 = byLevel('L1')!
  l2 = byLevel('L2')!
}, 600_000)

it('boots a real L2 under TCG, captures it over the serial console and the L1 while it runs', (ctx) => {
  if (typeof kit === 'string') {
    console.warn(`nested-l2 e2e skipped: ${kit}`)
    ctx.skip()
    return
  }
  expect(l2Run.exitCode).toBe(0)
  expect(l2Run.serial).toContain('nestreport-l2: capture exit status 0')
  expect(report.rejected).toEqual([])
  expect(l1).toBeDefined()
  expect(l2).toBeDefined()
  expect(l2.capture).toMatchObject({source: 'script', label: 'e2e TCG L2'})
  expect(l2.level).toMatchObject({override: 'L2', effective: 'L2'})
})

it('says the L1 is a KVM guest whose /dev/kvm comes from the module this machine loaded', (ctx) => {
  if (typeof kit === 'string') return ctx.skip()
  // What this machine says about itself, not a hard-coded expectation (PVM on this project's hosts).
  const signature = hypervisorSignature()
  if (signature === 'KVMKVMKVM') {
    expect(l1.virt.hypervisor).toBe('kvm')
    expect(l1.cpu.cpuid?.hypervisorSignature).toBe('KVMKVMKVM')
  }
  expect(l1.virt.isGuest).toBe(true)
  expect(l1.kvm.devKvm.present).toBe(existsSync('/dev/kvm'))
  expect(l1.kvm.vendorModule).toBe(kvmVendorModuleHere())
  expect(l1.level.detected).toBe('L1')
  if (l1.kvm.vendorModule) expect(report.rendered).toContain(l1.kvm.vendorModule)
})

it("finds the L2's QEMU process on the L1 running TCG: no KVM file descriptors, TCG vCPU threads", (ctx) => {
  if (typeof kit === 'string') return ctx.skip()
  // By pid: a parallel test run may have its own L2 running at the same time.
  const qemu = l1.qemu.processes.find((p) => p.pid === l2Run.pid)
  expect(qemu, 'the L2 QEMU among the L1 processes').toBeDefined()
  expect(qemu).toMatchObject({name: 'l2-tcg', accel: 'tcg', requestedAccel: 'tcg', kvmFds: 0})
  expect(qemu!.vcpuThreads).toContain('CPU 0/TCG')
})

it('says the L2 sees TCG: the TCGTCGTCGTCG signature, no kvm-clock, "paravirtualized kernel on bare hardware"', (ctx) => {
  if (typeof kit === 'string') return ctx.skip()
  expect(l2.virt.hypervisor).toBe('tcg')
  expect(l2.cpu.cpuid?.hypervisorSignature).toBe('TCGTCGTCGTCG')
  expect(l2.virt.clocksource.available.length).toBeGreaterThan(0)
  expect(l2.virt.clocksource.available).not.toContain('kvm-clock')
  expect(l2.virt.evidence.map((e) => e.fact).join('\n')).toMatch(/Booting paravirtualized kernel on bare hardware/)
  expect(report.rendered).toContain('CPUID 0x40000000 = TCGTCGTCGTCG')
  expect(report.rendered).toContain('no kvm-clock')
  expect(report.rendered).toMatch(/Booting paravirtualized kernel on bare hardware/)
})

it('concludes nested virtualization, but not nested KVM: the L2 runs under TCG', (ctx) => {
  if (typeof kit === 'string') return ctx.skip()
  const onTcg = report.model.findings.find((f) => f.id === 'L2_ON_TCG')
  expect(onTcg).toMatchObject({severity: 'fail', title: 'L2 runs under TCG emulation, not nested KVM'})
  expect(onTcg!.evidence.some((e) => e.level === 'L1')).toBe(true)
  expect(onTcg!.evidence.some((e) => e.level === 'L2')).toBe(true)
  expect(report.model.findings.some((f) => f.id === 'L2_ON_KVM')).toBe(false)
  expect(report.rendered).toContain('L2 runs under TCG emulation, not nested KVM')
})
