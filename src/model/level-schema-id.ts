/**
 * The identity of a level's report.json: schema name and the newest version this nestreport
 * writes. Kept apart from the zod model (src/model/level.ts) so that writing a model, which
 * `collect` does on every run, does not load zod (~80 ms of CPU); reading one validates it.
 */
export const LEVEL_SCHEMA = 'nestreport/level'
export const LEVEL_SCHEMA_VERSION = 1
