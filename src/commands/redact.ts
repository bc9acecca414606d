import {Args, Flags} from '@oclif/core'

import type {RedactBundleResult} from '../bundle/redact-bundle.js'
import {BaseCommand} from '../lib/base-command.js'
import {outputDirFlag} from '../lib/flags.js'

export default class Redact extends BaseCommand {
  static override summary = 'Redact an existing bundle: remove secrets and replace host names, addresses and user names'
  static override description = `For support staff who received an unredacted bundle, or a user about to post one publicly. Reads BUNDLE without extracting it (hostile archives are refused with a distinct exit status), removes every secret (QEMU -object secret data, SPICE/iSCSI/rbd/HTTP passwords, libvirt passwd=, kernel command-line credentials) and, unless --no-identity, replaces host names, IP and MAC addresses, DMI serials and UUIDs, machine-id and user names with consistent pseudonyms. Writes <name>-redacted.tar.gz into the output directory with a re-rendered report; never overwrites a file. With --redact-map, the pseudonyms are those of the other bundles of the same setup, and the map (private, mode 0600) is updated; it never goes into the bundle.`
  static override enableJsonFlag = true
  static override args = {
    bundle: Args.string({description: 'bundle (.tar.gz) written by collect, or a capture-script tarball', required: true}),
  }
  static override flags = {
    'output-dir': outputDirFlag('the redacted bundle'),
    'redact-map': Flags.string({description: 'pseudonym map shared by the bundles of all levels; created if missing, kept private'}),
    identity: Flags.boolean({description: 'replace host names, addresses and user names (--no-identity removes secrets only)', default: true, allowNo: true}),
  }
  static override examples = [
    '<%= config.bin %> redact nestreport-L1-vm-20261125T100000Z.tar.gz',
    '<%= config.bin %> redact -o public/ --redact-map ~/nested-map.json l0.tar.gz',
  ]

  async run(): Promise<RedactBundleResult> {
    const {args, flags} = await this.parse(Redact)
    const {redactBundle} = await import('../bundle/redact-bundle.js')
    const result = await redactBundle({
      input: args.bundle,
      outputDir: flags['output-dir'],
      identity: flags.identity,
      mapFile: flags['redact-map'],
    })
    if (!this.jsonEnabled()) {
      this.log(`redacted bundle: ${result.bundle}`)
      this.log(`secrets removed: ${result.secretsRemoved.length === 0 ? 'none found' : result.secretsRemoved.map((f) => `${f.what} (${f.where})`).join('; ')}`)
      this.log(result.identityRedacted ? 'identity: host names, addresses and user names replaced' : 'identity: NOT redacted (--no-identity)')
      if (result.map) this.log(`map: ${result.map} (private: keep it, never send it)`)
    }
    return result
  }
}
