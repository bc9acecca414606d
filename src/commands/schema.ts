import {BaseCommand} from '../lib/base-command.js'
import type {JsonSchema} from '../model/json-schema.js'

/** Prints the JSON Schema of report.json, generated from the model so it always matches this build. */
export default class Schema extends BaseCommand {
  static override summary = 'Print the JSON Schema of report.json.'
  static override description =
    'The schema is generated from the model of this nestreport version (schemaVersion is part of it), so tools can validate report.json files. docs/report-json.md explains the fields and the versioning policy.'
  static override examples = ['<%= config.bin %> schema > level.schema.json']
  static override enableJsonFlag = true

  async run(): Promise<JsonSchema> {
    await this.parse(Schema)
    const {levelJsonSchema} = await import('../model/json-schema.js')
    const schema = levelJsonSchema()
    if (!this.jsonEnabled()) this.log(JSON.stringify(schema, null, 2))
    return schema
  }
}
