import {stat} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import type {Capture} from '../capture/types.js'
import {BaseCommand} from '../lib/base-command.js'
import {EXIT} from '../lib/errors.js'
import type {Finding} from '../model/combined.js'

export interface CheckResult {
  level: string | null
  detectedRole: string
  summary: {fail: number; warn: number; info: number; pass: number}
  findings: Finding[]
}

export default class Check extends BaseCommand {
  static override summary = 'Check this machine for nested-virtualization problems: PASS/WARN/FAIL lines'
  static override description = `Captures this machine (or --sysroot DIR: a mounted root or a capture directory), works out its level and runs the same checks \`report\` runs for one level: nesting enabled, vmx/svm exposed, guests really on KVM, /dev/kvm present and accessible, non-VMX/SVM KVM modules such as PVM, slow-L2 parameters, migration caveats, oopses and taint. Exits ${EXIT.checkFailed} when a check fails, so scripts can use it.`
  static override enableJsonFlag = true
  static override flags = {
    sysroot: Flags.string({description: 'check a mounted root directory, a capture directory or a bundle (.tar.gz) instead of this machine'}),
    level: Flags.option({description: 'the level of this machine when detection gets it wrong', options: ['L0', 'L1', 'L2'] as const})(),
    timeout: Flags.integer({description: 'per-command timeout in seconds', default: 10, min: 1}),
    verbose: Flags.boolean({char: 'v', description: 'also print the evidence of passed checks'}),
  }
  static override examples = ['<%= config.bin %> check', '<%= config.bin %> check --json', '<%= config.bin %> check --sysroot /mnt/l1-root --level L1']

  async run(): Promise<CheckResult> {
    const {flags} = await this.parse(Check)
    const [{buildLevelModel}, {checkLevel}, {formatCheckLines}] = await Promise.all([
      import('../parse/index.js'),
      import('../analyse/findings/index.js'),
      import('../analyse/findings/check-format.js'),
    ])
    const options = {timeoutSeconds: flags.timeout, levelOverride: flags.level, onProgress: (m: string) => this.progress(m)}
    const capture = flags.sysroot ? await captureAt(flags.sysroot, options) : await (await import('../capture/live.js')).captureLive(options)
    const model = buildLevelModel(capture)
    const findings = checkLevel(model)
    const summary = {fail: 0, warn: 0, info: 0, pass: 0}
    for (const f of findings) summary[f.severity]++
    const level = model.level.effective ?? model.level.detected
    if (!this.jsonEnabled()) process.stdout.write(formatCheckLines(findings, {level, role: model.level.detectedRole, verbose: flags.verbose}))
    this.exitWith(summary.fail > 0 ? EXIT.checkFailed : EXIT.ok)
    return {level, detectedRole: model.level.detectedRole, summary, findings}
  }
}

/** A bundle file is read (and validated) as collect wrote it; anything else is a sysroot or capture directory. */
async function captureAt(target: string, options: {timeoutSeconds: number; levelOverride?: string}): Promise<Capture> {
  const isFile = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  )
  if (!isFile) return (await import('../capture/sysroot.js')).captureFromSysroot(target, options)
  const {capture} = await (await import('../bundle/read.js')).readBundle(target)
  if (options.levelOverride) capture.manifest.levelOverride = options.levelOverride
  return capture
}
