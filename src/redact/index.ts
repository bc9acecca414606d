/**
 * The redact stage: every raw file, command output, manifest string and model string goes through
 * the same two passes: secrets always (secrets.ts), identity with --redact (identity.ts), so what
 * the report shows and what the bundle holds are redacted alike.
 */
import type {Capture, CommandOutput} from '../capture/types.js'
import type {LevelModel} from '../model/level.js'
import {collectIdentitySeeds, emptyIdentitySeeds, IdentityRedactor, type IdentitySeeds, type RedactTextOptions, seedsFromMap} from './identity.js'
import {IdentityMap, loadIdentityMap, saveIdentityMap} from './identity-map.js'
import {scrubSecrets, type SecretFinding} from './secrets.js'

export {collectIdentitySeeds, emptyIdentitySeeds, IdentityRedactor, type IdentitySeeds} from './identity.js'
export {IdentityMap, loadIdentityMap, saveIdentityMap} from './identity-map.js'
export {SECRET_MARKER, scrubSecrets, type SecretFinding} from './secrets.js'

export interface RedactOptions {
  /** --redact: replace identity too (secrets are always removed). */
  identity: boolean
  /** --redact-map FILE: loaded before, saved after (mode 0600). Ignored when `map` is given. */
  mapFile?: string
  /** A map shared by the caller across several captures (it loads and saves it). */
  map?: IdentityMap
  /** Names from the other captures of the same setup, so each bundle hides all of them. */
  seeds?: IdentitySeeds
  /** Bundle entries outside the capture layout (names relative to the top directory), redacted alike. */
  others?: Map<string, Buffer>
}

export interface RedactionContext {
  /** File path, "command:<id>", "manifest.json" or "report": where findings are said to be. */
  where: string
  /** Identity redactor when --redact is on. */
  identity?: IdentityRedactor
  /** Secret findings are appended here. */
  findings?: SecretFinding[]
  /** The whole text is one value known to be a name (hostname file, DMI serial, manifest.hostname). */
  exact?: boolean
}

/** Secrets, then identity, for one piece of text. */
export function redactText(text: string, context: RedactionContext): string {
  const scrubbed = scrubSecrets(text, context.where)
  context.findings?.push(...scrubbed.findings)
  if (!context.identity) return scrubbed.text
  const options: RedactTextOptions = {exact: context.exact}
  return context.identity.redact(scrubbed.text, options)
}

const utf8 = new TextDecoder('utf-8', {fatal: true})

/**
 * Redact a raw file's bytes. Valid UTF-8 round-trips exactly; anything else is handled as Latin-1,
 * one character per byte, so bytes outside the replaced tokens come back identical either way.
 */
function redactBuffer(data: Buffer, context: RedactionContext): Buffer {
  if (data.length === 0) return data
  let text: string
  let encoding: 'utf8' | 'latin1' = 'utf8'
  try {
    text = utf8.decode(data)
  } catch {
    text = data.toString('latin1')
    encoding = 'latin1'
  }
  const out = redactText(text, context)
  return out === text ? data : Buffer.from(out, encoding)
}

/** DMI fields that identify the machine (vendor and product names say what it is: they stay). */
const DMI_IDENTITY = '(?:product_serial|board_serial|chassis_serial|product_uuid|board_asset_tag|chassis_asset_tag)'

/**
 * Files whose whole content is a name: matched exactly even when the name is short (`vm`). Only
 * these: a host called `kvm` must not turn a DMI sys_vendor "KVM" into "host1".
 */
const EXACT_FILES = new RegExp(
  `^/(?:proc/sys/kernel/(?:hostname|domainname)|etc/hostname|etc/machine-id|var/lib/dbus/machine-id|sys/class/dmi/id/${DMI_IDENTITY})$`,
)

/** Model fields whose whole value is a name. */
const EXACT_MODEL_FIELDS = [/^kernel\.hostname\.value$/, new RegExp(`^virt\\.dmi\\.${DMI_IDENTITY}$`)]

export interface RedactedCapture {
  capture: Capture
  findings: SecretFinding[]
}

/** Redact a capture (files, their paths, command outputs, the manifest) with one context. */
function redactCaptureWith(capture: Capture, identity: IdentityRedactor | undefined): RedactedCapture {
  const findings: SecretFinding[] = []
  const path = (p: string) => (identity ? identity.redact(p) : p)
  const files = new Map<string, Buffer>()
  for (const [file, data] of capture.files) {
    const where = path(file)
    files.set(where, redactBuffer(data, {where, identity, findings, exact: EXACT_FILES.test(file)}))
  }
  const commands = new Map<string, CommandOutput>()
  for (const [id, out] of capture.commands) {
    const name = path(id)
    const where = `command:${name}`
    commands.set(name, {stdout: redactBuffer(out.stdout, {where, identity, findings}), stderr: redactBuffer(out.stderr, {where, identity, findings})})
  }
  const manifest = mapStrings(capture.manifest, (s, at) => redactText(s, {where: 'manifest.json', identity, findings, exact: at === 'hostname'}))
  return {capture: {manifest, files, commands}, findings: dedupe(findings)}
}

/** Redact every string of a level model (keys are the model's own names and stay). */
function redactModelWith(model: LevelModel, identity: IdentityRedactor | undefined, findings: SecretFinding[]): LevelModel {
  return mapStrings(model, (s, at) =>
    redactText(s, {where: 'report', identity, findings, exact: EXACT_MODEL_FIELDS.some((re) => re.test(at))}),
  )
}

/**
 * The redact stage for one level: the capture and its model, redacted alike, with
 * `model.redaction` saying what was done. With `mapFile`, the map is loaded first and saved after.
 */
export async function redactCapture(
  capture: Capture,
  model: LevelModel,
  options: RedactOptions,
): Promise<{capture: Capture; model: LevelModel; findings: SecretFinding[]; others: Map<string, Buffer>}> {
  let map = options.map
  if (options.identity && !map) map = options.mapFile ? await loadIdentityMap(options.mapFile) : new IdentityMap()
  const identity = options.identity && map ? new IdentityRedactor(map, identitySeedsFor(capture, model, map, options.seeds)) : undefined

  const redacted = redactCaptureWith(capture, identity)
  const others = new Map<string, Buffer>()
  for (const [name, data] of options.others ?? []) {
    const where = identity ? identity.redact(name) : name
    others.set(where, redactBuffer(data, {where, identity, findings: redacted.findings}))
  }
  const modelFindings: SecretFinding[] = []
  const redactedModel = redactModelWith(model, identity, modelFindings)
  // The model repeats what the files say; list a model finding only when no file had it. Findings
  // of an earlier pass (collect removed secrets, then `redact` hid identity) are kept.
  const seen = new Set(redacted.findings.map((f) => f.what))
  const earlier = redactedModel.redaction?.secretsRemoved ?? []
  // A finding's wording can quote a name (a systemd credential called after a user): redact it too.
  const worded = (f: SecretFinding) => (identity ? {where: f.where, what: identity.redact(f.what)} : f)
  const findings = dedupe([...earlier, ...redacted.findings, ...dedupe(modelFindings).filter((f) => !seen.has(f.what))].map(worded))
  redactedModel.redaction = {secretsRemoved: findings, identityRedacted: Boolean(identity)}

  if (identity && map && options.mapFile && !options.map) await saveIdentityMap(map, options.mapFile)
  return {capture: redacted.capture, model: redactedModel, findings, others}
}

function identitySeedsFor(capture: Capture, model: LevelModel, map: IdentityMap, extra?: IdentitySeeds): IdentitySeeds {
  const seeds = collectIdentitySeeds(capture, emptyIdentitySeeds())
  seedsFromMap(map, seeds)
  const hostname = model.kernel.hostname.value
  if (hostname) seeds.hostnames.add(hostname.toLowerCase())
  if (extra) for (const key of Object.keys(seeds) as Array<keyof IdentitySeeds>) for (const v of extra[key]) seeds[key].add(v)
  return seeds
}

function dedupe(findings: SecretFinding[]): SecretFinding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = `${f.where}\0${f.what}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Deep copy of a JSON-like value with every string passed through `fn` (with its dotted path). */
function mapStrings<T>(value: T, fn: (s: string, path: string) => string, path = ''): T {
  if (typeof value === 'string') return fn(value, path) as T
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, fn, path ? `${path}.${i}` : String(i))) as T
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn, path ? `${path}.${k}` : k)
    return out as T
  }
  return value
}

/**
 * Redact the levels of one setup together (`report` with several bundles): every capture's names
 * seed every level first, as sos's preload_all_archives_into_maps does, so L1's bundle hides L0's
 * host name even when L0 comes later; one map, loaded once and saved once.
 */
export async function redactLevels<T extends {capture: Capture; model: LevelModel}>(
  levels: T[],
  options: Pick<RedactOptions, 'identity' | 'mapFile'>,
): Promise<Array<T & {findings: SecretFinding[]}>> {
  const map = options.identity ? (options.mapFile ? await loadIdentityMap(options.mapFile) : new IdentityMap()) : undefined
  const seeds = emptyIdentitySeeds()
  if (map) {
    for (const level of levels) {
      collectIdentitySeeds(level.capture, seeds)
      const hostname = level.model.kernel.hostname.value
      if (hostname) seeds.hostnames.add(hostname.toLowerCase())
    }
  }
  const out: Array<T & {findings: SecretFinding[]}> = []
  for (const level of levels) {
    const redacted = await redactCapture(level.capture, level.model, {identity: options.identity, map, seeds})
    out.push({...level, capture: redacted.capture, model: redacted.model, findings: redacted.findings})
  }
  if (map && options.mapFile) await saveIdentityMap(map, options.mapFile)
  return out
}
