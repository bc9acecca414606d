/** Flags several commands share, worded once so `--help` says the same thing everywhere. */
import {Flags} from '@oclif/core'

/** -o/--output-dir: where results go; nothing is written anywhere else. */
export const outputDirFlag = (what: string) =>
  Flags.string({char: 'o', description: `directory for ${what} (created if missing; nothing is written elsewhere)`, default: '.'})

/** Identity redaction (secrets are removed always, without a flag). */
export const redactFlags = {
  redact: Flags.boolean({description: 'also replace host names, addresses and user names, the same way in every level (secrets are always removed)', default: false}),
  'redact-map': Flags.string({description: 'pseudonym map file shared by the bundles of all levels, kept outside them (implies --redact)'}),
}
