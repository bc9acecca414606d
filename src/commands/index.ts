// oclif "explicit" command discovery: oclif imports only this map, so no manifest is needed and the
// CLI can be bundled into one file. Commands keep heavy imports inside run().
import Schema from './schema.js'

export const COMMANDS = {
  schema: Schema,
}
