/**
 * The POSIX sh capture script for levels without Node (busybox, dash, cloud images), generated
 * from CAPTURE_SPEC so it captures exactly what the live collector captures, into the same layout
 * (types.ts). The fixed shell code lives in script/, one module per concern; this module puts it
 * together and renders one call per spec item between the set-up and the finish.
 */
import {CAPTURE_SPEC, type SpecItem} from './spec.js'
import {SCRIPT_FINISH, SCRIPT_SETUP} from './script/archive.js'
import {SCRIPT_COMMANDS, SCRIPT_VERSIONS} from './script/commands.js'
import {SCRIPT_DERIVED} from './script/derived.js'
import {SCRIPT_ENTRIES} from './script/entries.js'
import {SCRIPT_PRELUDE} from './script/prelude.js'
import {CAPTURE_FORMAT, CAPTURE_FORMAT_VERSION} from './types.js'
import {DEFAULT_MAX_BYTES} from './walk-context.js'

export {SERIAL_BEGIN, SERIAL_END} from './script/archive.js'

/** manifest.producer.name of a script capture. */
export const SCRIPT_PRODUCER = 'nestreport-capture.sh'
/** Per-command timeout when the script is run without -t, seconds. */
export const SCRIPT_DEFAULT_TIMEOUT_SECONDS = 10

export interface CaptureScriptOptions {
  /** nestreport's version, recorded as manifest.producer.version. */
  producerVersion?: string
  /** Default of the script's -t option. */
  timeoutSeconds?: number
  /** The items to capture; CAPTURE_SPEC unless a test narrows it. */
  spec?: SpecItem[]
}

/** A word the shell reads back exactly: single quotes, with embedded quotes spliced in. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** A spec glob (`*` inside path components) as shell words below the -r prefix. */
function shellGlob(pattern: string): string {
  const words = pattern
    .split('*')
    .map((literal) => (literal === '' ? '' : shellQuote(literal)))
    .join('*')
  return `"$NR_ROOT"${words}`
}

/** The shell functions every item call relies on, in script order. */
const SCRIPT_HELPERS = [SCRIPT_ENTRIES, SCRIPT_COMMANDS, SCRIPT_DERIVED, SCRIPT_VERSIONS]

const SAFE_ID = /^[A-Za-z0-9._-]+$/

/** Spec properties the script relies on; a violation is a programming error in spec.ts. */
function checkSpec(spec: SpecItem[]): void {
  const commandsSeen = new Set<string>()
  for (const item of spec) {
    if (item.kind === 'glob' && /[?[\]]/.test(item.pattern)) throw new Error(`glob ${item.pattern}: only * is supported`)
    if (item.kind !== 'command') continue
    if (!SAFE_ID.test(item.id)) throw new Error(`command id ${item.id} is not file-name safe`)
    if (item.fallbackFor && !commandsSeen.has(item.fallbackFor)) {
      throw new Error(`command ${item.id} falls back from ${item.fallbackFor}, which must come first in the spec`)
    }
    commandsSeen.add(item.id)
  }
}

function renderItem(item: SpecItem): string[] {
  const q = shellQuote
  switch (item.kind) {
    case 'file':
      return [`nr_file ${q(item.path)} ${q(item.group)} ${item.maxBytes ?? DEFAULT_MAX_BYTES}`]
    case 'glob': {
      const max = item.maxBytes ?? DEFAULT_MAX_BYTES
      if (item.maxFiles === undefined) {
        return [`for nr_match in ${shellGlob(item.pattern)}; do`, `\tnr_glob_file "$nr_match" ${q(item.group)} ${max}`, 'done']
      }
      return [
        'nr_gcount=0',
        'nr_gmore=0',
        `for nr_match in ${shellGlob(item.pattern)}; do`,
        `\tif [ "$nr_gcount" -ge ${item.maxFiles} ]; then`,
        '\t\t[ ! -f "$nr_match" ] || nr_gmore=$((nr_gmore + 1))',
        '\t\tcontinue',
        '\tfi',
        `\tnr_glob_file "$nr_match" ${q(item.group)} ${max}`,
        '\tnr_gcount=$((nr_gcount + nr_glob_hit))',
        'done',
        `nr_glob_capped "$nr_gmore" ${q(item.pattern)} ${q(item.group)} ${item.maxFiles}`,
      ]
    }
    case 'command':
      return [
        [
          'nr_cmd',
          q(item.id),
          q(item.group),
          String(item.maxBytes ?? DEFAULT_MAX_BYTES),
          item.needsRoot ? '1' : '0',
          q(item.fallbackFor ?? ''),
          ...item.argv.map(q),
        ].join(' '),
      ]
    case 'stat':
      return [`nr_stat ${q(item.path)} ${q(item.group)}`]
    case 'cpuid':
      return [`nr_cpuid ${q(item.path)} ${q(item.group)} ${q(item.leaves.map(([leaf, subleaf]) => `${leaf}:${subleaf}`).join(' '))}`]
    case 'processes':
      return [`nr_processes ${q(item.group)} ${item.maxProcesses} ${item.exeGlobs.map(q).join(' ')}`]
    case 'versions': {
      const notFound = `not installed (no ${[...item.names, ...item.globs].join(', ')} in PATH or ${item.extraDirs.join(', ')})`
      return [
        [
          'nr_versions',
          q(item.id),
          q(item.group),
          q(item.names.join(' ')),
          q(item.globs.join(' ')),
          q(notFound),
          ...item.extraDirs.map(q),
        ].join(' '),
      ]
    }
  }
}

/** The complete script text. */
export function renderCaptureScript(options: CaptureScriptOptions = {}): string {
  const spec = options.spec ?? CAPTURE_SPEC
  checkSpec(spec)
  const version = options.producerVersion ?? 'unknown'
  const header = [
    '#!/bin/sh',
    `# nestreport capture script ${version.replaceAll('\n', ' ')}: generated by \`nestreport capture-script\` from the`,
    '# capture spec (src/capture/spec.ts). Regenerate it instead of editing it.',
    '#',
    '# Captures the raw files and command outputs that `nestreport collect` captures, on a level',
    '# without Node (busybox, dash, minimal images), in the same layout, so `nestreport report` and',
    '# `nestreport collect --sysroot` analyse it like any other capture. POSIX sh; see -h.',
    '',
    `NR_VERSION=${shellQuote(version)}`,
    `NR_PRODUCER=${shellQuote(SCRIPT_PRODUCER)}`,
    `NR_FORMAT=${shellQuote(CAPTURE_FORMAT)}`,
    `NR_FORMAT_VERSION=${CAPTURE_FORMAT_VERSION}`,
    `NR_DEFAULT_TIMEOUT=${options.timeoutSeconds ?? SCRIPT_DEFAULT_TIMEOUT_SECONDS}`,
    `NR_DEFAULT_MAX=${DEFAULT_MAX_BYTES}`,
  ]
  const items = spec.flatMap((item) => [`# ${item.group}: ${item.why.replaceAll('\n', ' ')}`, ...renderItem(item)])
  return [
    ...header,
    SCRIPT_PRELUDE.trim(),
    '',
    ...SCRIPT_HELPERS.flatMap((helpers) => [helpers.trim(), '']),
    SCRIPT_SETUP.trim(),
    '',
    '# ---- the capture spec, item by item',
    ...items,
    '',
    SCRIPT_FINISH.trim(),
    '',
  ].join('\n')
}
