// Collect speed against the floor a user would compare it with: a plain POSIX sh script, generated
// from the same CAPTURE_SPEC, that cats the same files (glob matches and QEMU /proc files included)
// and runs the same commands into a temp dir. Both run as fresh processes the way a user starts
// them (bin/run.js as a program, the script with sh), in this process's environment, alternating,
// several times; medians and the ratio ours/sh are printed. Also timed, to show where the time
// goes: `bin/run.js --version` (node, bundle and oclif, no work), the bundle run directly with
// `node dist/nestreport.cjs` (no code cache, as a copied single file runs), captureLive alone
// in-process, and `node -e 0` with and without NODE_EXTRA_CA_CERTS when it is set here.
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.BENCH_RUNS ?? 7)

export const name = 'collect'

/** Single-quote for sh. */
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`

/** A path pattern for sh: quoted pieces around unquoted `*`. */
const shGlob = (pattern) =>
  pattern
    .split('*')
    .map((part) => (part ? q(part) : ''))
    .join('*')

function shCommand(item) {
  const out = `"$out/commands/${item.id}"`
  const run = `${item.argv.map(q).join(' ')} > ${out}.out 2> ${out}.err`
  if (!item.fallbackFor) return run
  return `[ -s "$out/commands/${item.fallbackFor}.out" ] || ${run}`
}

/** The plain script: what someone would write by hand from the spec, without timeouts or a manifest. */
export function plainScript(spec, cpuidPosition) {
  const lines = [
    '#!/bin/sh',
    'out="$1"',
    'mkdir -p "$out/root" "$out/commands"',
    // Only fork mkdir for a directory not made yet; cat (or tail for capped files) per file.
    'f() { d="$out/root${1%/*}"; [ -d "$d" ] || mkdir -p "$d"; if [ -n "$2" ]; then tail -c "$2" "$1"; else cat "$1"; fi > "$out/root$1" 2>/dev/null; }',
  ]
  for (const item of spec) {
    switch (item.kind) {
      case 'file':
        lines.push(`[ -e ${q(item.path)} ] && f ${q(item.path)} ${item.maxBytes ?? ''}`)
        break
      case 'glob':
        lines.push(`n=0; for p in ${shGlob(item.pattern)}; do [ -f "$p" ] || continue; n=$((n+1)); [ $n -le ${item.maxFiles ?? 100000} ] && f "$p" ${item.maxBytes ?? ''}; done`)
        break
      case 'command':
        lines.push(shCommand(item))
        break
      case 'stat':
        lines.push(`mkdir -p "$out/root${path.posix.dirname(item.path)}"; stat -L -c 'type=%F mode=%a uid=%u gid=%g rdev=%t:%T' ${q(item.path)} > "$out/root${item.path}@stat" 2>/dev/null`)
        break
      case 'cpuid':
        lines.push(`mkdir -p "$out/root${path.posix.dirname(item.path)}"`)
        for (const [leaf, subleaf] of item.leaves) {
          lines.push(`dd if=${q(item.path)} iflag=skip_bytes bs=16 count=1 skip=${cpuidPosition(leaf, subleaf)} >> "$out/root${item.path}@leaves" 2>/dev/null`)
        }
        break
      case 'processes': {
        const names = item.exeGlobs.join('|')
        lines.push(
          `ls -l /proc/[0-9]*/exe 2>/dev/null | sed -n 's#.* /proc/\\([0-9]*\\)/exe -> \\(.*\\)$#\\1 \\2#p' | while read -r pid exe; do`,
          `  exe="\${exe% (deleted)}"; case "\${exe##*/}" in ${names}) ;; *) continue ;; esac`,
          `  for x in cmdline comm status; do f /proc/$pid/$x; done`,
          `  ls -l /proc/$pid/fd > "$out/root/proc/$pid/fd@links" 2>/dev/null`,
          `  for t in /proc/$pid/task/*/comm; do f "$t"; done`,
          'done',
        )
        break
      }
      case 'versions': {
        const patterns = [...item.names, ...item.globs].join(' ')
        lines.push(
          'seen=""',
          `for d in $(echo "$PATH" | tr ':' ' ') ${item.extraDirs.map(q).join(' ')}; do`,
          '  r=$(cd -P "$d" 2>/dev/null && pwd) || continue; case " $seen " in *" $r "*) continue ;; esac; seen="$seen $r"',
          `  for n in ${patterns}; do for b in "$d"/$n; do [ -x "$b" ] && [ ! -L "$b" ] && "$b" --version > "$out/commands/${item.id}-version-\${b##*/}.out" 2>&1; done; done`,
          'done',
        )
        break
      }
    }
  }
  return `${lines.join('\n')}\n`
}

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

/** Wall time, and CPU time (user+sys, children included) when GNU time is there: steadier under load. */
function timed(file, args, cpuFile, env = process.env) {
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, file, ...args]] : [file, args]
  return new Promise((resolve) => {
    const started = performance.now()
    execFile(cmd, argv, {cwd: repo, maxBuffer: 64 << 20, env: {...env, FORCE_COLOR: '0'}}, (error, stdout, stderr) => {
      const ms = performance.now() - started
      let cpuMs = null
      if (GNU_TIME) {
        const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
        cpuMs = (user + sys) * 1000
      }
      resolve({ms, cpuMs, code: error ? (error.code ?? 1) : 0, stderr})
    })
  })
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (xs) => `${median(xs).toFixed(0).padStart(5)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`

const loadNow = () => os.loadavg().map((x) => x.toFixed(2)).join(' ')

export async function run() {
  const loadBefore = loadNow()
  const {CAPTURE_SPEC} = await import('../dist/capture/spec.js')
  const {captureLive} = await import('../dist/capture/live.js')
  const work = mkdtempSync(path.join(os.tmpdir(), 'nestreport-bench-'))
  const bin = path.join(repo, 'bin', 'run.js')
  const bundle = path.join(repo, 'dist', 'nestreport.cjs')
  // bin/run.js drops NODE_EXTRA_CA_CERTS before node starts (see there); the bundle run directly
  // gets the same environment, so the two differ only by the code cache.
  const {NODE_EXTRA_CA_CERTS: extraCaCerts, ...envWithoutCaCerts} = process.env
  try {
    const script = path.join(work, 'plain.sh')
    writeFileSync(script, plainScript(CAPTURE_SPEC, (leaf, subleaf) => (BigInt(leaf) + BigInt(subleaf) * 2n ** 32n).toString()))
    const series = () => ({wall: [], cpu: []})
    const ours = series()
    const sh = series()
    const startup = series()
    const noCache = series()
    const nodeAsIs = series()
    const nodeWithoutCaCerts = series()
    // ours/sh of each back-to-back pair: both ran under nearly the same load, so these ratios
    // scatter less than the ratio of the medians when other work comes and goes.
    const paired = {wall: [], cpu: []}
    const cpuFile = path.join(work, 'cpu')
    const outOurs = path.join(work, 'ours')
    const outSh = path.join(work, 'sh')
    // One untimed round of each first, so all meet warm page and dentry caches.
    for (let i = 0; i <= RUNS; i++) {
      const a = await timed(bin, ['collect', '-o', outOurs], cpuFile)
      if (a.code !== 0) throw new Error(`nestreport collect failed (${a.code}): ${a.stderr}`)
      rmSync(outOurs, {recursive: true, force: true})
      // The plain script's last command may fail (no previous boot in the journal): its status is not the point.
      const b = await timed('sh', [script, outSh], cpuFile)
      rmSync(outSh, {recursive: true, force: true})
      const c = await timed(bin, ['--version'], cpuFile)
      const d = await timed(process.execPath, [bundle, 'collect', '-o', outOurs], cpuFile, envWithoutCaCerts)
      if (d.code !== 0) throw new Error(`bundle collect without code cache failed (${d.code}): ${d.stderr}`)
      rmSync(outOurs, {recursive: true, force: true})
      const runs = [[ours, a], [sh, b], [startup, c], [noCache, d]]
      if (extraCaCerts !== undefined) {
        runs.push([nodeAsIs, await timed(process.execPath, ['-e', '0'], cpuFile)], [nodeWithoutCaCerts, await timed(process.execPath, ['-e', '0'], cpuFile, envWithoutCaCerts)])
      }
      if (i === 0) continue
      for (const [acc, r] of runs) {
        acc.wall.push(r.ms)
        if (r.cpuMs !== null) acc.cpu.push(r.cpuMs)
      }
      paired.wall.push(a.ms / b.ms)
      if (a.cpuMs !== null && b.cpuMs) paired.cpu.push(a.cpuMs / b.cpuMs)
    }
    const inProcess = []
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now()
      await captureLive({timeoutSeconds: 10})
      inProcess.push(performance.now() - started)
    }
    const ratio = (a, b) => (median(a) / median(b)).toFixed(2)
    const cpu = (r) => (r.cpu.length > 0 ? `   cpu ${fmt(r.cpu)}` : '')
    console.log(`collect: ${os.cpus().length} CPUs, load ${loadBefore} at the start, ${loadNow()} at the end, ${RUNS} runs each, alternating, medians`)
    console.log(`  nestreport collect (bin/run.js)     wall ${fmt(ours.wall)}${cpu(ours)}`)
    console.log(`  plain sh script, same spec          wall ${fmt(sh.wall)}${cpu(sh)}`)
    console.log(`  ratio ours/sh: wall ${ratio(ours.wall, sh.wall)}${ours.cpu.length > 0 ? `, cpu ${ratio(ours.cpu, sh.cpu)}` : ''}`)
    console.log(`  median of paired ratios: wall ${median(paired.wall).toFixed(2)}${paired.cpu.length > 0 ? `, cpu ${median(paired.cpu).toFixed(2)}` : ''}`)
    console.log('where the time goes:')
    console.log(`  bin/run.js --version (floor)        wall ${fmt(startup.wall)}${cpu(startup)}`)
    const beyond = median(ours.wall) - median(startup.wall)
    console.log(`  collect beyond that floor: ${beyond.toFixed(0)} ms (${(beyond / median(sh.wall)).toFixed(2)} of sh)`)
    console.log(`  captureLive alone, in-process       wall ${fmt(inProcess)}`)
    console.log(`  bundle without its code cache       wall ${fmt(noCache.wall)}${cpu(noCache)}   (ratio to sh ${ratio(noCache.wall, sh.wall)})`)
    if (extraCaCerts !== undefined) {
      console.log(`  node -e 0, NODE_EXTRA_CA_CERTS set  wall ${fmt(nodeAsIs.wall)}   (what bin/run.js avoids)`)
      console.log(`  node -e 0, without it               wall ${fmt(nodeWithoutCaCerts.wall)}`)
    }
    return {
      oursMs: median(ours.wall),
      shMs: median(sh.wall),
      ratio: median(ours.wall) / median(sh.wall),
      pairedRatio: median(paired.wall),
      startupMs: median(startup.wall),
      noCodeCacheMs: median(noCache.wall),
      captureLiveMs: median(inProcess),
    }
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
