// oclif "explicit" command discovery: oclif imports only this map, so no manifest is needed and the
// CLI can be bundled into one file. Commands keep heavy imports inside run().
export const COMMANDS = {}
