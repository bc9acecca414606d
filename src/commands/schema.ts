import {Args} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import type {JsonSchema} from '../model/json-schema.js'

/** Prints the JSON Schema of report.json, generated from the model so it always matches this build. */
export default class Schema extends BaseCommand {
  static override summary = 'Print the JSON Schema of report.json.'
  static override description =
    'The schema is generated from the model of this nestreport version (schemaVersion is part of it), so tools can validate report.json files: `level` for the report.json in a collect bundle, `combined` for the one in a report archive. docs/report-json.md and docs/report-combined.md explain the fields and the versioning policy.'
  static override args = {
    document: Args.string({description: 'which report.json', options: ['level', 'combined'], default: 'level'}),
  }
  static override examples = ['<%= config.bin %> schema > level.schema.json', '<%= config.bin %> schema combined > combined.schema.json']
  static override enableJsonFlag = true

  async run(): Promise<JsonSchema> {
    const {args} = await this.parse(Schema)
    const {combinedJsonSchema, levelJsonSchema} = await import('../model/json-schema.js')
    const schema = args.document === 'combined' ? combinedJsonSchema() : levelJsonSchema()
    if (!this.jsonEnabled()) this.log(JSON.stringify(schema, null, 2))
    return schema
  }
}
