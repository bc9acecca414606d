#!/usr/bin/env node
// Benchmark of the kernel-log analyser (run after `npm run build`; `npm run bench` does both).
//
// Generates a ~200 MB and a ~20 MB synthetic kernel log (mostly benign dmesg lines of many kinds,
// with WARNINGs, GPFs, hung tasks and KVM lines sprinkled in) in a temp directory, then for each:
//   - scans it with analyseKernelLogStream in a fresh child process, sampling process.memoryUsage()
//     every 20 ms, and reports wall time, MB/s, and peak RSS / heap growth over the idle baseline;
//   - times `grep -c -E '<comparable pattern>'` on the same file in the same run.
// Prints the time ratio ours/grep and the memory at 20 MB vs 200 MB (flat = streaming works).
// Exports `run()` for bench/run.js.
import {spawnSync} from 'node:child_process'
import {createReadStream, createWriteStream, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const name = 'kernel-log'

const SELF = fileURLToPath(import.meta.url)
const DIST = new URL('../dist/analyse/kernel-log/index.js', import.meta.url)

/** Roughly what the analyser looks for: crash headers, end markers and KVM lines. */
export const GREP_PATTERN =
  'BUG:|WARNING:|Oops:|general protection fault|kernel BUG at|Kernel panic|INFO: task .* blocked|INFO: rcu_.* stall|soft lockup|hard LOCKUP|KASAN|UBSAN|end trace|vmwrite failed|vmread failed|unchecked MSR|ignored rdmsr|ignored wrmsr|Hypervisor detected|VMX not|SVM not|Nested Virtualization|L1TF|unstable|KVM: entry failed'

const BENIGN = [
  'usb 1-1: new high-speed USB device number 2 using xhci_hcd',
  'EXT4-fs (vda1): mounted filesystem 3d1c6a1e-1d3f-4f43-9a0e-1b6b9d4f2b7c r/w with ordered data mode. Quota mode: none.',
  'audit: type=1400 audit(1764082587.123:412): apparmor="STATUS" operation="profile_load" profile="unconfined" name="libvirtd" pid=1234 comm="apparmor_parser"',
  'virbr0: port 1(vnet0) entered forwarding state',
  'IPv6: ADDRCONF(NETDEV_CHANGE): enp1s0: link becomes ready',
  'systemd[1]: Started session-12.scope - Session 12 of User root.',
  'pci 0000:00:1f.2: [8086:2922] type 00 class 0x010601 conventional PCI endpoint',
  'Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.',
  '[Firmware Bug]: TSC doesn\'t count with P0 frequency!',
  'traps: chrome[2979] general protection fault ip:55911b28dba3 sp:7ffea558a3e0 error:0 in chrome[55911728a000+6a0b000]',
  'kvm: vcpu 0: requested 40960 ns lapic timer period limited to 200000 ns',
  'clocksource: Switched to clocksource kvm-clock',
  'xfs filesystem being mounted at /var/lib/libvirt supports timestamps until 2038-01-19 (0x7fffffff)',
  'br0: port 2(tap0) entered blocking state',
]

const OOPSES = [
  [
    '------------[ cut here ]------------',
    'WARNING: CPU: 3 PID: 4242 at arch/x86/kvm/vmx/nested.c:4563 nested_vmx_vmexit+0x7d/0x8d0 [kvm_intel]',
    'Modules linked in: kvm_intel kvm irqbypass',
    'CPU: 3 UID: 0 PID: 4242 Comm: CPU 0/KVM Tainted: G        W  O       6.12.8 #1',
    'RIP: 0010:nested_vmx_vmexit+0x7d/0x8d0 [kvm_intel]',
    'Call Trace:',
    ' <TASK>',
    ' vmx_check_nested_events+0x2e1/0x3a0 [kvm_intel]',
    ' kvm_check_nested_events+0x1e/0x50 [kvm]',
    ' kvm_arch_vcpu_ioctl_run+0x10f7/0x1cf0 [kvm]',
    ' kvm_vcpu_ioctl+0x2b6/0x6f0 [kvm]',
    ' </TASK>',
    '---[ end trace 0000000000000000 ]---',
  ],
  [
    'INFO: task qemu-system-x86:9120 blocked for more than 122 seconds.',
    '      Not tainted 6.8.0-45-generic #45-Ubuntu',
    'task:qemu-system-x86 state:D stack:0     pid:9120  tgid:9101  ppid:1      flags:0x00004002',
    'Call Trace:',
    ' <TASK>',
    ' __schedule+0x27c/0x6b0',
    ' schedule+0x33/0x110',
    ' kvm_vm_ioctl_set_memory_region+0x2a/0x70 [kvm]',
    ' </TASK>',
  ],
  ['kvm_intel: vmwrite failed: field=4400 val=0 err=12', 'Hypervisor detected: KVM'],
]

/** Write a synthetic dmesg of about `bytes` bytes; returns {lines, oopses} planted. */
export async function generate(path, bytes) {
  const out = createWriteStream(path)
  let written = 0
  let line = 0
  let oopses = 0
  let seed = 12345
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
  while (written < bytes) {
    const parts = []
    for (let i = 0; i < 2000; i++) {
      line++
      const t = (line / 1000).toFixed(6).padStart(12)
      if (line % 25000 === 0) {
        const block = OOPSES[(line / 25000) % OOPSES.length]
        if (block.length > 2) oopses++
        for (const l of block) parts.push(`[${t}] ${l}`)
        line += block.length - 1
      } else {
        parts.push(`[${t}] ${BENIGN[Math.floor(rnd() * BENIGN.length)]}`)
      }
    }
    const chunk = parts.join('\n') + '\n'
    written += Buffer.byteLength(chunk)
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  return {bytes: statSync(path).size, oopses}
}

/** Child mode: scan FILE and print JSON figures. */
async function scanChild(file) {
  const {analyseKernelLogStream} = await import(DIST)
  global.gc?.()
  await new Promise((r) => setTimeout(r, 50))
  global.gc?.()
  const base = process.memoryUsage()
  let peakRss = base.rss
  let peakHeap = base.heapUsed
  const samples = []
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
    samples.push(m.rss)
  }, 20)
  const t0 = process.hrtime.bigint()
  const result = await analyseKernelLogStream(createReadStream(file, {highWaterMark: 64 * 1024}), {file})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  clearInterval(timer)
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
  // What the scan keeps (the result included), once garbage is collected.
  global.gc?.()
  const retainedHeap = process.memoryUsage().heapUsed - base.heapUsed
  // RSS over the second half of the scan vs the first: flat when memory does not grow with input.
  const half = Math.floor(samples.length / 2)
  const avg = (a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0)
  process.stdout.write(
    JSON.stringify({
      ms,
      lines: result.lines,
      oopses: result.oopses.length + result.droppedOopses,
      kvm: result.kvmMessages.length + result.droppedKvmMessages,
      baseRss: base.rss,
      rssGrowth: peakRss - base.rss,
      heapGrowth: peakHeap - base.heapUsed,
      retainedHeap,
      rssFirstHalf: avg(samples.slice(0, half)),
      rssSecondHalf: avg(samples.slice(half)),
      samples: samples.length,
    }),
  )
}

function timeGrep(file) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('grep', ['-c', '-E', GREP_PATTERN, file], {encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.error) return {ms: null, count: null, error: r.error.message}
  return {ms, count: Number(r.stdout.trim())}
}

function scan(file) {
  const r = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${HEAP_CAP_MB}`, SELF, '--scan', file], {encoding: 'utf8', maxBuffer: 1 << 20})
  if (r.status !== 0) throw new Error(`scan child failed: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const MB = 1024 * 1024
/** Every scan runs with this V8 old-space cap: a scan whose memory grew with its input would die. */
const HEAP_CAP_MB = 32
const f1 = (x) => x.toFixed(1)

/** NESTREPORT_BENCH_SIZES=20,200,400 overrides the sizes (MB). */
function envSizes() {
  const v = process.env.NESTREPORT_BENCH_SIZES
  return v ? v.split(',').map(Number).filter((n) => n > 0) : null
}

/** Run the benchmark; returns the figures and prints a summary. */
export async function run({sizesMB = envSizes() ?? [20, 200], log = console.log} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nestreport-bench-'))
  const rows = []
  try {
    for (const size of sizesMB) {
      const file = join(dir, `kern-${size}.log`)
      const gen = await generate(file, size * MB)
      const grep = timeGrep(file)
      const ours = scan(file)
      const grep2 = timeGrep(file) // warm cache for both; keep the faster grep
      const grepMs = Math.min(grep.ms ?? Infinity, grep2.ms ?? Infinity)
      rows.push({
        sizeMB: gen.bytes / MB,
        planted: gen.oopses,
        found: ours.oopses,
        lines: ours.lines,
        oursMs: ours.ms,
        oursMBs: gen.bytes / MB / (ours.ms / 1000),
        grepMs: Number.isFinite(grepMs) ? grepMs : null,
        grepMBs: Number.isFinite(grepMs) ? gen.bytes / MB / (grepMs / 1000) : null,
        ratio: Number.isFinite(grepMs) ? ours.ms / grepMs : null,
        grepCount: grep.count,
        rssGrowthMB: ours.rssGrowth / MB,
        heapGrowthMB: ours.heapGrowth / MB,
        retainedHeapMB: ours.retainedHeap / MB,
        rssFirstHalfMB: ours.rssFirstHalf / MB,
        rssSecondHalfMB: ours.rssSecondHalf / MB,
      })
      rmSync(file, {force: true})
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  log('kernel-log analyser: streaming scan vs grep -c -E on the same file')
  log(`  grep pattern: ${GREP_PATTERN.split('|').length} alternatives (crash headers, end markers, KVM lines); scans run with --max-old-space-size=${HEAP_CAP_MB}`)
  for (const r of rows) {
    log(
      `  ${f1(r.sizeMB).padStart(6)} MB, ${r.lines} lines: ours ${f1(r.oursMs / 1000)} s (${f1(r.oursMBs)} MB/s), ` +
        `grep ${r.grepMs === null ? 'n/a' : `${f1(r.grepMs / 1000)} s (${f1(r.grepMBs)} MB/s)`}, ratio ours/grep ${r.ratio === null ? 'n/a' : f1(r.ratio)}x; ` +
        `reports ${r.found}/${r.planted} planted; peak RSS +${f1(r.rssGrowthMB)} MB, peak heap +${f1(r.heapGrowthMB)} MB, retained heap +${f1(r.retainedHeapMB)} MB ` +
        `(RSS 1st/2nd half ${f1(r.rssFirstHalfMB)}/${f1(r.rssSecondHalfMB)} MB)`,
    )
  }
  if (rows.length >= 2) {
    const [a, b] = [rows[0], rows[rows.length - 1]]
    log(`  memory growth at ${f1(a.sizeMB)} MB vs ${f1(b.sizeMB)} MB input: RSS +${f1(a.rssGrowthMB)} vs +${f1(b.rssGrowthMB)} MB, peak heap +${f1(a.heapGrowthMB)} vs +${f1(b.heapGrowthMB)} MB, retained heap +${f1(a.retainedHeapMB)} vs +${f1(b.retainedHeapMB)} MB (input x${f1(b.sizeMB / a.sizeMB)})`)
  }
  return rows
}

if (process.argv[1] === SELF) {
  const i = process.argv.indexOf('--scan')
  if (i > 0) await scanChild(process.argv[i + 1])
  else await run()
}
