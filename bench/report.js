// `nestreport report` on the three-level AMD fixture chain (test/fixtures/sysroots/amd-l0..l2):
// the bundles are written once as collect writes them, then buildCombinedReport (read + validate
// every bundle, rebuild each LevelModel, combine, render md/txt/json, write the combined archive)
// runs several times in-process. Prints the median and worst wall time, archive size, and RSS.
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.BENCH_RUNS ?? 7)

export const name = 'report'

export async function run() {
  const {captureFromSysroot} = await import(`${repo}dist/capture/sysroot.js`)
  const {writeBundle} = await import(`${repo}dist/bundle/write.js`)
  const {buildCombinedReport} = await import(`${repo}dist/report.js`)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nestreport-bench-report-'))
  try {
    const bundles = []
    for (const fixture of ['amd-l0', 'amd-l1', 'amd-l2']) {
      const capture = await captureFromSysroot(path.join(repo, 'test/fixtures/sysroots', fixture), {timeoutSeconds: 10})
      bundles.push(await writeBundle({outputDir: tmp, baseName: `nestreport-${fixture}`, capture, extra: []}))
    }
    const inputBytes = bundles.reduce((n, b) => n + statSync(b).size, 0)
    const times = []
    let last
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint()
      last = await buildCombinedReport({bundles, outputDir: path.join(tmp, `out-${i}`)})
      times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    times.sort((a, b) => a - b)
    const median = times[Math.floor(times.length / 2)]
    console.log(`bundles: 3, ${(inputBytes / 1024).toFixed(0)} KiB compressed`)
    console.log(`buildCombinedReport: median ${median.toFixed(0)} ms, worst ${times.at(-1).toFixed(0)} ms over ${RUNS} runs (first includes lazy imports)`)
    console.log(`combined archive: ${(statSync(last.archivePath).size / 1024).toFixed(0)} KiB, report.md ${(Buffer.byteLength(last.rendered) / 1024).toFixed(1)} KiB, ${last.model.findings.length} findings`)
    console.log(`rss after: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`)
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}
