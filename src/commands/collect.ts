import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import {outputDirFlag, redactFlags} from '../lib/flags.js'
import type {LevelModel} from '../model/level.js'

export default class Collect extends BaseCommand {
  static override summary = 'Capture this level (L0 host, L1 guest hypervisor or L2 nested guest) into a bundle and a report'
  static override description = `Reads what a KVM developer asks for in a nested-virtualization bug (CPU and CPUID, kernel and its command line, KVM module parameters, /dev/kvm, hypervisor evidence, running QEMU processes, libvirt domains, the kernel log), writes nestreport-<level>-<host>-<UTC time>.tar.gz with the raw files, command outputs, a manifest, report.md and report.json, and the report as a .md file beside it. Every command has a timeout; what could not be collected is listed with the reason. Runs without root and gives a partial report. Existing files are never overwritten.`
  static override enableJsonFlag = true
  static override flags = {
    'output-dir': outputDirFlag('the bundle and the report'),
    level: Flags.option({options: ['auto', 'L0', 'L1', 'L2'] as const, description: 'this level, when detection gets it wrong', default: 'auto'})(),
    sysroot: Flags.string({description: 'read a root filesystem (e.g. a container\'s /host), a capture directory, or a bundle/capture-script .tar.gz instead of this machine'}),
    label: Flags.string({description: 'free text kept in the bundle (a ticket number, "L1 of the Intel box")'}),
    timeout: Flags.integer({description: 'timeout per command, seconds', default: 10, min: 1}),
    ...redactFlags,
  }
  static override examples = [
    '<%= config.bin %> collect',
    'sudo <%= config.bin %> collect -o /tmp/reports --label "L1 on the Intel box"',
    '<%= config.bin %> collect --sysroot /host --level L0',
    '<%= config.bin %> collect --redact --redact-map ~/nested-map.json',
  ]

  async run(): Promise<LevelModel> {
    const {flags} = await this.parse(Collect)
    const {collect} = await import('../collect.js')
    const result = await collect({
      outputDir: flags['output-dir'],
      level: flags.level,
      sysroot: flags.sysroot,
      label: flags.label,
      timeoutSeconds: flags.timeout,
      redact: flags.redact || flags['redact-map'] !== undefined,
      redactMap: flags['redact-map'],
      onProgress: (message) => this.progress(message),
    })
    if (!this.jsonEnabled()) {
      this.log(`bundle: ${result.bundlePath}`)
      this.log(`report: ${result.reportPath}`)
    }
    // A read that hung past its timeout cannot be cancelled and would keep the process alive
    // after the work is done: leave once the output is flushed.
    const {abandonedOperations} = await import('../capture/walk-context.js')
    if (abandonedOperations() > 0) setTimeout(() => process.exit(), 500).unref()
    return result.model
  }
}
