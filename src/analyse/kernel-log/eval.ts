/**
 * Evaluation of the analyser over a directory of real logs (`npm run eval:oops -- DIR`).
 *
 * Two corpus shapes are understood:
 *  - abrt `tests/examples/`: `NAME.test` / `NAME.test.template` (`:HOSTNAME:` substituted), scored
 *    against `NAME.right` when its first line is `abrt-dump-oops: Found oopses: N` (or it is empty:
 *    no oops). abrt's count is a floor. abrt skips everything before its own
 *    `abrt: Kerneloops: Reported N kernel oopses to Abrt` marker (already reported); reports we find
 *    before such a marker are listed as `beforeAbrtMarker`, not counted either way.
 *    Titles: our `header` against the first line of each oops abrt printed.
 *  - a directory without `.right` files (satyr `tests/kerneloopses/`): every file holds at least one
 *    crash report. Titles: against EXPECTED_SATYR_TITLES (reviewed by hand, see below).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {analyseKernelLog} from './index.js'
import type {Oops} from './types.js'

export interface FileScore {
  file: string
  /** Expected number of reports (a floor), 0 for a clean log, null when unscored. */
  expected: number | null
  found: number
  counted: number
  titles: string[]
  beforeAbrtMarker?: number
  titleChecks: {expected: string; got: string | null; ok: boolean}[]
  verdict: 'ok' | 'missed' | 'false-alarm' | 'unscored'
}

export interface CorpusScore {
  dir: string
  shape: 'abrt' | 'satyr'
  files: FileScore[]
  detection: {expectedFiles: number; detectedFiles: number; rate: number; expectedReports: number; foundReports: number; reportRate: number}
  falseAlarms: {cleanFiles: number; filesWithAlarms: number; reports: number}
  titles: {checked: number; matched: number; rate: number}
}

/**
 * Hand-reviewed titles for satyr's tests/kerneloopses (first report of each file): what a kernel
 * developer would search for, syzbot style: the WARN/BUG site, the faulting RIP/pc/NIP/PSW, the
 * lockdep acquire/release site, else the first non-generic reliable frame; compiler clone suffixes
 * (`.part.8`) dropped. Each was checked by reading the file's header, registers and call trace.
 */
export const EXPECTED_SATYR_TITLES: Readonly<Record<string, string>> = {
  'arm-hung-task-oops': 'Kernel panic - not syncing: hung_task: blocked tasks',
  'arm-hung-task-oops-2': 'BUG: kernel NULL pointer dereference in shmem_getpage_gfp',
  'github-102': 'WARNING in putback_inactive_pages',
  'github-113': 'WARNING in intel_irq_remapping_supported',
  'github-73': 'WARNING in tcp_fastretrans_alert',
  'github-73-modified': 'WARNING in tcp_fastretrans_alert',
  'gitlog-01': 'possible deadlock in mxs_mmc_enable_sdio_irq',
  'gitlog-02': 'possible deadlock in mxs_mmc_enable_sdio_irq',
  'gitlog-03': 'suspicious RCU usage in update_or_create_fnhe',
  'gitlog-04': 'suspicious RCU usage in call_netdevice_notifiers',
  'gitlog-05': 'inconsistent lock state in ath5k_tasklet_beacon',
  'gitlog-06': 'possible deadlock in sco_chan_del',
  'gitlog-07': 'BUG kmalloc-64: Poison overwritten',
  'gitlog-08': 'possible deadlock in sysfs_remove_dir',
  'gitlog-09': 'suspicious RCU usage in cpuacct_charge',
  'gitlog-10': 'possible deadlock in mdio_mux_read',
  'gitlog-11': 'suspicious RCU usage in led_trigger_unregister',
  'gitlog-12': 'possible deadlock in regulator_get_voltage',
  'gitlog-13': 'possible deadlock in l2tp_xmit_skb',
  'gitlog-14': 'bad unlock balance detected in blk_queue_bio',
  'gitlog-15': 'possible deadlock in restore_regulatory_settings',
  'gitlog-16': 'bad unlock balance detected in writeback_sb_inodes',
  'gitlog-17': 'inconsistent lock state in rt2x00queue_create_tx_descriptor',
  'gitlog-18': 'suspicious RCU usage in sta_rx_agg_session_timer_expired',
  'gitlog-19': 'BUG numa_policy: Poison overwritten',
  'gitlog-20': 'possible deadlock in do_lookup',
  'gitlog-21': 'possible deadlock in idr_read_uobj',
  'gitlog-22': 'possible deadlock in jffs2_garbage_collect_pass',
  'gitlog-23': 'lock held when returning to user space',
  'gitlog-24': 'inconsistent lock state in __percpu_counter_sum',
  'gitlog-25': 'possible deadlock in filldir',
  'gitlog-26': 'possible deadlock in flush_work',
  'gitlog-27': 'inconsistent lock state in pcpu_alloc',
  'gitlog-28': 'suspicious RCU usage in drain_mcelog_buffer',
  'gitlog-29': 'BUG sas_task: Objects remaining on kmem_cache_close()',
  'gitlog-30': 'BUG kmalloc-4096: Poison overwritten',
  'gitlog-31': 'possible deadlock in gpio_value_store',
  'rhbz-1040900-ppc64-1': 'WARNING in eeh_dev_check_failure',
  'rhbz-1040900-s390x-1': 'WARNING in will_oops_init',
  'rhbz-1040900-s390x-2': 'kernel BUG in scsi_alloc_sgtable',
  'rhbz-1140681': 'general protection fault in find_get_entry',
  'rhbz-1235021': 'BUG: soft lockup in smp_call_function_many',
  'rhbz-1518943': 'BUG: kernel NULL pointer dereference in amdgpu_vm_sdma_commit',
  'rhbz-827868': 'WARNING in __alloc_pages_nodemask',
  'rhbz-827868-modified': 'WARNING in __alloc_pages_nodemask',
  'rhbz-836206': 'BUG: sleeping function called from invalid context in put_cmsg',
  'rhbz-865695-0': 'kernel BUG in wdev_priv',
  'rhbz-865695-2': 'kernel BUG in wdev_priv',
  'rhbz-865695-2-notime': 'kernel BUG in wdev_priv',
}

const ABRT_MARKER_RE = /kernel oopses to Abrt/

function readInput(path: string): string {
  const text = readFileSync(path, 'utf8')
  return path.endsWith('.template') ? text.replaceAll(':HOSTNAME:', 'localhost') : text
}

/** Expected oops count and first lines from an abrt `.right` file, or null if it is not an oops count. */
export function parseAbrtRight(text: string): {count: number; headers: string[]} | null {
  if (text.trim() === '') return {count: 0, headers: []}
  const lines = text.split('\n')
  const m = /^abrt-dump-oops: Found oopses: (\d+)/.exec(lines[0])
  if (!m) return null
  const headers: string[] = []
  for (let i = 0; i < lines.length - 1; i++) {
    if (lines[i].startsWith('Version:')) headers.push(lines[i + 1].trim())
  }
  return {count: +m[1], headers}
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}

export function evaluateDirectory(dir: string): CorpusScore {
  const names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort()
  const shape: 'abrt' | 'satyr' = names.some((n) => n.endsWith('.right')) ? 'abrt' : 'satyr'
  const files: FileScore[] = []
  for (const name of names) {
    if (name.endsWith('.right')) continue
    const path = join(dir, name)
    const text = readInput(path)
    const oopses = analyseKernelLog(text, {file: name}).oopses
    let expected: number | null = null
    let titleChecks: FileScore['titleChecks'] = []
    let counted = oopses
    let beforeAbrtMarker: number | undefined
    if (shape === 'abrt') {
      const base = name.replace(/\.test(?:\.template)?$/, '')
      const rightPath = join(dir, `${base}.right`)
      let right: ReturnType<typeof parseAbrtRight> = null
      try {
        right = parseAbrtRight(readFileSync(rightPath, 'utf8'))
      } catch {
        right = null
      }
      // abrt ignores what precedes its own "already reported" marker.
      const lines = text.split('\n')
      let marker = 0
      lines.forEach((l, i) => {
        if (ABRT_MARKER_RE.test(l) && !/kernel: /.test(l)) marker = i + 1
      })
      if (marker > 0) {
        counted = oopses.filter((o) => o.startLine > marker)
        beforeAbrtMarker = oopses.length - counted.length
      }
      if (right && (name.endsWith('.test') || name.endsWith('.test.template'))) {
        expected = right.count
        titleChecks = matchHeaders(right.headers, counted)
      } else if (!right && /^no_oops/.test(base)) {
        expected = 0 // abrt's README lists no_oops as a false-alarm trap (a trace without a header)
      }
    } else {
      expected = 1
      const want = EXPECTED_SATYR_TITLES[name]
      if (want) titleChecks = [{expected: want, got: oopses[0]?.title ?? null, ok: oopses[0]?.title === want}]
    }
    let verdict: FileScore['verdict'] = 'unscored'
    if (expected !== null) {
      if (expected === 0) verdict = counted.length === 0 ? 'ok' : 'false-alarm'
      else verdict = counted.length >= expected ? 'ok' : 'missed'
    }
    const score: FileScore = {file: name, expected, found: oopses.length, counted: counted.length, titles: oopses.map((o) => o.title), titleChecks, verdict}
    if (beforeAbrtMarker) score.beforeAbrtMarker = beforeAbrtMarker
    files.push(score)
  }
  const scored = files.filter((f) => f.expected !== null)
  const positive = scored.filter((f) => (f.expected ?? 0) > 0)
  const clean = scored.filter((f) => f.expected === 0)
  const detected = positive.filter((f) => f.verdict === 'ok').length
  const expectedReports = positive.reduce((a, f) => a + (f.expected ?? 0), 0)
  const foundReports = positive.reduce((a, f) => a + Math.min(f.counted, f.expected ?? 0), 0)
  const checks = files.flatMap((f) => f.titleChecks)
  const matched = checks.filter((c) => c.ok).length
  return {
    dir,
    shape,
    files,
    detection: {
      expectedFiles: positive.length,
      detectedFiles: detected,
      rate: positive.length ? detected / positive.length : 1,
      expectedReports,
      foundReports,
      reportRate: expectedReports ? foundReports / expectedReports : 1,
    },
    falseAlarms: {
      cleanFiles: clean.length,
      filesWithAlarms: clean.filter((f) => f.verdict === 'false-alarm').length,
      reports: clean.reduce((a, f) => a + f.counted, 0),
    },
    titles: {checked: checks.length, matched, rate: checks.length ? matched / checks.length : 1},
  }
}

/** Pair abrt's oops first lines with our headers in order (abrt's order is the log's order). */
function matchHeaders(headers: string[], oopses: Oops[]): FileScore['titleChecks'] {
  const used = new Set<number>()
  return headers.map((h) => {
    const want = norm(h)
    const i = oopses.findIndex((o, k) => !used.has(k) && norm(o.header) === want)
    if (i >= 0) {
      used.add(i)
      return {expected: want, got: oopses[i].header, ok: true}
    }
    const next = oopses.findIndex((_, k) => !used.has(k))
    if (next >= 0) used.add(next)
    return {expected: want, got: next >= 0 ? oopses[next].header : null, ok: false}
  })
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`
}

/** Human summary of one corpus score. */
export function formatScore(s: CorpusScore, verbose = false): string {
  const out: string[] = []
  out.push(`${basename(s.dir)} (${s.shape}, ${s.files.length} inputs)`)
  out.push(`  detection: ${s.detection.detectedFiles}/${s.detection.expectedFiles} files (${pct(s.detection.rate)}), ` +
    `${s.detection.foundReports}/${s.detection.expectedReports} expected reports (${pct(s.detection.reportRate)})`)
  out.push(`  false alarms: ${s.falseAlarms.reports} reports in ${s.falseAlarms.filesWithAlarms}/${s.falseAlarms.cleanFiles} clean logs`)
  out.push(`  titles: ${s.titles.matched}/${s.titles.checked} (${pct(s.titles.rate)}) ${s.shape === 'abrt' ? "headers equal to abrt's first oops line" : 'equal to the reviewed titles'}`)
  for (const f of s.files) {
    const bad = f.verdict === 'missed' || f.verdict === 'false-alarm' || f.titleChecks.some((c) => !c.ok)
    if (!verbose && !bad && !f.beforeAbrtMarker) continue
    out.push(`  ${f.verdict.padEnd(11)} ${f.file}: expected ${f.expected ?? '-'}, found ${f.found}` +
      (f.beforeAbrtMarker ? ` (${f.beforeAbrtMarker} before abrt's "already reported" marker, not counted)` : ''))
    for (const c of f.titleChecks) if (!c.ok) out.push(`      title: want ${JSON.stringify(c.expected)} got ${JSON.stringify(c.got)}`)
    if (verbose) for (const t of f.titles) out.push(`      - ${t}`)
  }
  return out.join('\n')
}
