import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import {outputDirFlag, redactFlags} from '../lib/flags.js'
import type {CombinedModel} from '../model/combined.js'

export type ReportCommandResult = CombinedModel & {output: {report: string; archive: string}; rejected: Array<{bundle: string; message: string}>}

export default class Report extends BaseCommand {
  static override summary = 'Combine the bundles of L0, L1 and L2 into one nested-setup bug report'
  static override description = `Reads the bundle collected at each level (any order; the level comes from each bundle, --level corrects it), checks the nested setup as a whole (nesting on L0, vmx/svm in L1, L2 really on KVM, /dev/kvm, PVM, slow-L2 parameters, migration caveats, oopses at several levels, taint, missing levels) and writes one combined report plus one archive holding every level's data: nestreport-setup-<UTC>.tar.gz and nestreport-setup-<UTC>.md (or .txt/.json) in --output-dir. The report is also printed.`
  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    bundle: Args.string({description: 'a bundle from `nestreport collect` or the capture script; give one per level', required: true}),
  }
  static override flags = {
    'output-dir': outputDirFlag('the combined archive and report'),
    level: Flags.string({
      char: 'l',
      description: 'correct a bundle\'s level: FILE=L0|L1|L2 (the file as given or its name) or #N=L0|L1|L2 (the N-th bundle); repeatable',
      multiple: true,
    }),
    format: Flags.option({description: 'printed rendering: md (bugzilla, forges), text (mail, 72 columns), json', options: ['md', 'text', 'json'] as const, default: 'md'})(),
    template: Flags.string({description: 'a handlebars template of your own, rendered against the same view model as the built-in ones'}),
    ...redactFlags,
  }
  static override examples = [
    '<%= config.bin %> report nestreport-L0-host-*.tar.gz nestreport-L1-vm-*.tar.gz nestreport-L2-guest-*.tar.gz',
    '<%= config.bin %> report --format text -o /tmp/bug a.tar.gz b.tar.gz --level b.tar.gz=L2',
    '<%= config.bin %> report --json l0.tar.gz l1.tar.gz',
  ]

  async run(): Promise<ReportCommandResult> {
    const {argv, flags} = await this.parse(Report)
    const {buildCombinedReport} = await import('../report.js')
    const result = await buildCombinedReport({
      bundles: argv as string[],
      outputDir: flags['output-dir'],
      levelCorrections: flags.level ?? [],
      format: flags.format,
      template: flags.template,
      redact: flags.redact || flags['redact-map'] !== undefined,
      redactMap: flags['redact-map'],
    })
    for (const r of result.rejected) process.stderr.write(`nestreport: ${r.message}\n`)
    if (!this.jsonEnabled()) {
      process.stdout.write(result.rendered)
      process.stderr.write(`nestreport: wrote ${result.reportPath} and ${result.archivePath}\n`)
    }
    this.exitWith(result.rejected[0]?.exitCode ?? 0)
    return {
      ...result.model,
      output: {report: result.reportPath, archive: result.archivePath},
      rejected: result.rejected.map((r) => ({bundle: r.bundle, message: r.message})),
    }
  }
}
