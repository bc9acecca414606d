// A real capture of this machine, checked against what the machine itself says right now (never
// against hard-coded values: the machine differs between sessions).
import {execFileSync} from 'node:child_process'
import {closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {captureLive, LiveHost} from '../../src/capture/live.js'
import type {Capture} from '../../src/capture/types.js'
import {CaptureView} from '../../src/capture/view.js'

let capture: Capture
let view: CaptureView

beforeAll(async () => {
  capture = await captureLive({timeoutSeconds: 20})
  view = new CaptureView(capture)
})

/** cpu MHz moves between two reads on real hardware; everything else in cpuinfo is stable. */
const withoutMhz = (text: string) => text.replace(/^cpu MHz.*$/gm, '')

describe('captureLive on this machine', () => {
  it('captures /proc/cpuinfo as a fresh read gives it', () => {
    expect(withoutMhz(view.text('/proc/cpuinfo')!)).toBe(withoutMhz(readFileSync('/proc/cpuinfo', 'utf8')))
  })

  it('captures every kvm module parameter with its current value', () => {
    const expected = new Map<string, string>()
    for (const mod of readdirSync('/sys/module').filter((m) => m.startsWith('kvm'))) {
      const dir = `/sys/module/${mod}/parameters`
      if (!existsSync(dir)) continue
      for (const p of readdirSync(dir)) {
        try {
          expected.set(`${dir}/${p}`, readFileSync(`${dir}/${p}`, 'utf8'))
        } catch {
          // Write-only parameters cannot be read by anyone; the capture records them as not ok.
        }
      }
    }
    const captured = new Map(view.match(/^\/sys\/module\/kvm[^/]*\/parameters\//).map((p) => [p, view.text(p)!]))
    expect(captured).toEqual(expected)
  })

  it('records the machine identity and the capturing user', () => {
    expect(capture.manifest).toMatchObject({source: 'live', hostname: os.hostname(), arch: os.machine(), timeoutSeconds: 20})
    expect(capture.manifest.user.uid).toBe(process.getuid!())
    expect(view.value('/proc/sys/kernel/hostname')).toBe(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())
  })

  it('describes /dev/kvm as stat() sees it', () => {
    const record = view.stat('/dev/kvm')
    if (!existsSync('/dev/kvm')) {
      expect(record).toBeNull()
      expect(view.entry('stat', '/dev/kvm')?.status).toBe('missing')
      return
    }
    const s = statSync('/dev/kvm')
    expect(record).toMatchObject({type: 'char', mode: `0${(s.mode & 0o7777).toString(8)}`, uid: s.uid, gid: s.gid})
    expect(record!.rdev).toBe(`${(s.rdev >> 8) & 0xfff}:${s.rdev & 0xff}`)
  })

  it('reads CPUID leaves as the cpuid driver gives them', () => {
    const entry = view.entry('cpuid', '/dev/cpu/0/cpuid')!
    let fd: number
    try {
      fd = openSync('/dev/cpu/0/cpuid', 'r')
    } catch {
      expect(entry.status).not.toBe('ok')
      return
    }
    try {
      const leaves = view.cpuid()!
      for (const leaf of leaves.filter((l) => l.subleaf === 0)) {
        const buf = Buffer.alloc(16)
        readSync(fd, buf, 0, 16, leaf.leaf)
        expect([leaf.eax, leaf.ebx, leaf.ecx, leaf.edx]).toEqual([0, 4, 8, 12].map((o) => buf.readUInt32LE(o)))
      }
      expect(leaves.length).toBeGreaterThan(0)
    } finally {
      closeSync(fd)
    }
  })

  it('captures uname -a as running it gives it', () => {
    expect(view.commandOutput('uname')).toBe(execFileSync('uname', ['-a'], {encoding: 'utf8'}))
  })

  it('gives every manifest entry a duration and a size, and stores what it says it stored', () => {
    for (const e of capture.manifest.entries) {
      expect(e.durationMs).toBeGreaterThanOrEqual(0)
      expect(e.bytes).toBeGreaterThanOrEqual(0)
      if (e.status === 'ok' && e.kind === 'file') expect(capture.files.get(e.id)!.length).toBe(e.bytes)
      if (e.kind === 'command' && e.stored) expect(capture.commands.get(e.id)!.stdout.length).toBe(e.bytes)
    }
  })
})

describe('LiveHost.readFile', () => {
  const host = new LiveHost()

  it('reads a pseudo-file whose stat size is 0 to its end', async () => {
    const {data} = await host.readFile('/proc/self/status', 1 << 20)
    expect(statSync('/proc/self/status').size).toBe(0)
    expect(data.toString()).toMatch(/^Name:/)
    expect(data.toString()).toMatch(/\nPid:\t\d+\n/)
  })

  it('keeps only the tail of a large regular file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nestreport-live-'))
    try {
      const content = Buffer.from(Array.from({length: 50_000}, (_, i) => `line ${i}\n`).join(''))
      await writeFile(path.join(dir, 'big.log'), content)
      const {data, truncated} = await host.readFile(path.join(dir, 'big.log'), 1000)
      expect(truncated).toBe(true)
      expect(data.equals(content.subarray(content.length - 1000))).toBe(true)
      const whole = await host.readFile(path.join(dir, 'big.log'), content.length)
      expect(whole.truncated).toBe(false)
      expect(whole.data.equals(content)).toBe(true)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('does not block on a FIFO', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nestreport-live-'))
    try {
      execFileSync('mkfifo', [path.join(dir, 'fifo')])
      const {data} = await host.readFile(path.join(dir, 'fifo'), 1000)
      expect(data.length).toBe(0)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
