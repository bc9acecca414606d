#!/usr/bin/env node
// Single-file build: dist/nestreport.mjs runs with a bare `node` (>= 20) and nothing else, for a
// level with Node but no npm, no node_modules and no network. Copy that one file over and run
// `node nestreport.mjs collect`. Usage: node scripts/build-single.mjs [OUTFILE]
//
// Everything the CLI would read from its install directory at run time is inlined here:
// - package.json (oclif's configuration and the version): src/single.ts gets it as a constant;
// - report templates: src/render/templates.ts is replaced by a module holding them, precompiled
//   as in dist/ (scripts/precompile-templates.mjs), and the handlebars compiler, which
//   src/render/handlebars-compiler.ts require()s from node_modules, is bundled instead;
// - nestreport's version for capture manifests: the package.json read in src/capture/manifest.ts.
// A replacement that no longer finds what it replaces fails the build instead of shipping a file
// that breaks at run time.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

import {precompiledTemplates} from './precompile-templates.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outfile = path.resolve(process.argv[2] ?? path.join(repo, 'dist', 'nestreport.mjs'))
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'))
// What oclif reads from package.json; dependencies are bundled, so they stay out.
const pjson = {name: pkg.name, version: pkg.version, description: pkg.description, type: pkg.type, license: pkg.license, bin: pkg.bin, oclif: pkg.oclif}

const templatesDir = path.join(repo, 'templates')
const templates = Object.fromEntries(
  readdirSync(templatesDir)
    .filter((name) => name.endsWith('.hbs'))
    .map((name) => [name, readFileSync(path.join(templatesDir, name), 'utf8')]),
)

const precompiled = await precompiledTemplates()

/**
 * Same contract as src/render/templates.ts: built-in names from the embedded set, paths from disk;
 * the built-in ones also precompiled, so rendering them needs only handlebars/runtime.
 */
const templatesModule = `
import {readFileSync} from 'node:fs'
import {describeError, NestreportError} from '../lib/errors.js'

const EMBEDDED = ${JSON.stringify(templates)}

export function readTemplate(name) {
  if (!name.includes('/')) {
    if (Object.hasOwn(EMBEDDED, name)) return EMBEDDED[name]
    throw new NestreportError('inputMissing', \`no built-in template \${name} in this single-file build\`)
  }
  try {
    return readFileSync(name, 'utf8')
  } catch (error) {
    throw new NestreportError('inputMissing', \`cannot read template \${name}: \${describeError(error)}\`)
  }
}

const PRECOMPILED = ${precompiled.code}

export function precompiledTemplate(name) {
  return !name.includes('/') && Object.hasOwn(PRECOMPILED, name) ? PRECOMPILED[name].spec : undefined
}
`

/**
 * The compiler, bundled like everything else (src/render/handlebars-compiler.ts would require() it
 * from node_modules): a plain require() that esbuild bundles and evaluates only when first called,
 * i.e. for a user's --template.
 */
const compilerModule = `
export function loadHandlebarsCompiler() {
  return require('handlebars')
}
`
const TEMPLATES_EXPORTS = ['function readTemplate(name: string): string', 'type TemplateSpec ', 'function precompiledTemplate(name: string)']

const PACKAGE_JSON_READ = /readFileSync\(new URL\('\.\.\/\.\.\/package\.json', import\.meta\.url\), 'utf8'\)/

/** @type {import('esbuild').Plugin} */
const inlineRuntimeFiles = {
  name: 'nestreport-inline-runtime-files',
  setup(b) {
    b.onLoad({filter: /[/\\]src[/\\]render[/\\]templates\.ts$/}, (args) => {
      const original = readFileSync(args.path, 'utf8')
      const exported = original.split('\n').filter((line) => line.startsWith('export '))
      const expected = (line) => TEMPLATES_EXPORTS.some((e) => line.startsWith(`export ${e}`))
      if (exported.length !== TEMPLATES_EXPORTS.length || !exported.every(expected)) {
        throw new Error('src/render/templates.ts changed its exports: update the embedded replacement in scripts/build-single.mjs')
      }
      return {contents: templatesModule, loader: 'js', resolveDir: path.dirname(args.path)}
    })
    b.onLoad({filter: /[/\\]src[/\\]render[/\\]handlebars-compiler\.ts$/}, (args) => {
      const original = readFileSync(args.path, 'utf8')
      if (!/^export function loadHandlebarsCompiler\(\): HandlebarsCompiler/m.test(original)) {
        throw new Error('src/render/handlebars-compiler.ts changed its exports: update the replacement in scripts/build-single.mjs')
      }
      return {contents: compilerModule, loader: 'js', resolveDir: path.dirname(args.path)}
    })
    b.onLoad({filter: /[/\\]src[/\\]capture[/\\]manifest\.ts$/}, (args) => {
      const original = readFileSync(args.path, 'utf8')
      if (!PACKAGE_JSON_READ.test(original)) {
        throw new Error('src/capture/manifest.ts no longer reads ../../package.json as expected: update scripts/build-single.mjs')
      }
      return {contents: original.replace(PACKAGE_JSON_READ, JSON.stringify(JSON.stringify({version: pkg.version}))), loader: 'ts', resolveDir: path.dirname(args.path)}
    })
  },
}

await build({
  entryPoints: [path.join(repo, 'src', 'single.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (oclif, handlebars, archiver) call require(), __filename and __dirname.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import {createRequire as __nestreportCreateRequire} from 'node:module'",
      "import {fileURLToPath as __nestreportFileURLToPath} from 'node:url'",
      "import {dirname as __nestreportDirname} from 'node:path'",
      'const require = __nestreportCreateRequire(import.meta.url)',
      'const __filename = __nestreportFileURLToPath(import.meta.url)',
      'const __dirname = __nestreportDirname(__filename)',
    ].join('\n'),
  },
  define: {NESTREPORT_PACKAGE_JSON: JSON.stringify(pjson)},
  // oclif requires typescript (10 MB) only to run a plugin's .ts sources in development, inside a
  // try/catch: leave it out.
  external: ['typescript'],
  plugins: [inlineRuntimeFiles],
  legalComments: 'eof',
  logLevel: 'warning',
})

console.log(outfile)
