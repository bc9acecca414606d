import {Args, Flags} from '@oclif/core'

import type {KernelLogAnalysis} from '../analyse/kernel-log/index.js'
import {BaseCommand} from '../lib/base-command.js'
import {isNestreportError, NestreportError} from '../lib/errors.js'

export interface OopsFileResult extends Partial<KernelLogAnalysis> {
  file: string
  error?: {code: string; exitCode: number; message: string}
}

export default class Oops extends BaseCommand {
  static override summary = 'Find kernel crash reports and KVM/nested-virtualization messages in kernel logs'
  static override description = `Reads dmesg (any timestamp form, -r, -x, -T, iso), /dev/kmsg records, journalctl -k (short, iso, precise, monotonic, json), syslog kern.log and serial consoles. Reports oopses, WARNINGs, panics, sanitizer reports, hung tasks, RCU stalls, lockups, lockdep and MCE/NMI reports with a searchable title, the guilty frame, decoded taint and a stack hash that groups duplicates; KVM and nested-virtualization lines are listed separately and never counted as crashes. Files are streamed; "-" or no FILE reads stdin.`
  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    file: Args.string({description: 'kernel log file ("-" = stdin); several may be given', required: false, ignoreStdin: true}),
  }
  static override flags = {
    frames: Flags.integer({description: 'frames shown per report in text output', default: 8, min: 0}),
  }
  static override examples = [
    '<%= config.bin %> oops /var/log/kern.log',
    'journalctl -k -b -1 | <%= config.bin %> oops',
    '<%= config.bin %> oops --json l1-dmesg.txt l2-console.log',
  ]

  async run(): Promise<OopsFileResult[]> {
    const {argv, flags} = await this.parse(Oops)
    const {analyseKernelLogInput, formatAnalysis} = await import('../analyse/kernel-log/text.js')
    const files = (argv as string[]).length > 0 ? (argv as string[]) : ['-']
    if (files.filter((f) => f === '-').length > 1) throw new NestreportError('inputMissing', 'stdin ("-") can be read only once')
    if (files.includes('-') && process.stdin.isTTY && (argv as string[]).length === 0) {
      throw new NestreportError('inputMissing', 'no FILE given and stdin is a terminal: pass a log file or pipe one in (dmesg | nestreport oops)')
    }
    const results: OopsFileResult[] = []
    let firstExit = 0
    for (const file of files) {
      try {
        const analysis = await analyseKernelLogInput(file)
        results.push(analysis)
        if (!this.jsonEnabled()) this.log(formatAnalysis(analysis, {frames: flags.frames}))
      } catch (error) {
        if (!isNestreportError(error)) throw error
        // One clear line for this file, then carry on with the others.
        firstExit ||= error.exitCode
        results.push({file, error: {code: error.code, exitCode: error.exitCode, message: error.message}})
        if (!this.jsonEnabled()) process.stderr.write(`nestreport: ${error.message}\n`)
      }
    }
    this.exitWith(firstExit)
    return results
  }
}
