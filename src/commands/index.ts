// oclif "explicit" command discovery: oclif imports only this map, so no manifest is needed and the
// CLI can be bundled into one file. Commands keep heavy imports inside run().
import CaptureScript from './capture-script.js'
import Check from './check.js'
import Collect from './collect.js'
import Oops from './oops.js'
import Redact from './redact.js'
import Report from './report.js'
import Schema from './schema.js'

export const COMMANDS = {
  'capture-script': CaptureScript,
  check: Check,
  collect: Collect,
  oops: Oops,
  redact: Redact,
  report: Report,
  schema: Schema,
}
