#!/usr/bin/env node
// The CLI bundle (last step of `npm run build`): dist/nestreport.cjs, everything nestreport runs in
// one minified CommonJS file, plus its V8 code cache dist/nestreport.cjs.v8cache. bin/run.js loads
// the two (bin/bundle-loader.js): a fresh `nestreport collect` then spends ~40 ms getting to work
// instead of ~150 ms resolving and compiling ~150 ES modules, which is most of the difference to a
// plain shell script (npm run bench -- collect). The same file runs alone with a bare `node`
// (>= 20): copy dist/nestreport.cjs to a level with no npm, node_modules or network and run
// `node nestreport.cjs collect`. Usage: node scripts/build-cli.mjs [OUTFILE]
//
// Everything the CLI would read from its install directory at run time is inlined here:
// - package.json (oclif's configuration and the version): src/cli.ts gets it as a constant;
// - report templates: src/render/templates.ts is replaced by a module holding them, precompiled
//   as in dist/ (scripts/precompile-templates.mjs), and the handlebars compiler, which
//   src/render/handlebars-compiler.ts require()s from node_modules, is bundled instead;
// - nestreport's version for capture manifests: the package.json read in src/capture/manifest.ts.
// A replacement that no longer finds what it replaces fails the build instead of shipping a file
// that breaks at run time.
//
// The code cache holds what V8 compiled while the bundle ran `collect` over a fixture capture
// (scripts/write-code-cache.mjs, in a fresh node with default flags, like bin/run.js): the
// startup path and parse/analyse/render/bundle, without spawning anything on the build machine.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

import {precompiledTemplates} from './precompile-templates.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outfile = path.resolve(process.argv[2] ?? path.join(repo, 'dist', 'nestreport.cjs'))
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
        throw new Error('src/render/templates.ts changed its exports: update the embedded replacement in scripts/build-cli.mjs')
      }
      return {contents: templatesModule, loader: 'js', resolveDir: path.dirname(args.path)}
    })
    b.onLoad({filter: /[/\\]src[/\\]render[/\\]handlebars-compiler\.ts$/}, (args) => {
      const original = readFileSync(args.path, 'utf8')
      if (!/^export function loadHandlebarsCompiler\(\): HandlebarsCompiler/m.test(original)) {
        throw new Error('src/render/handlebars-compiler.ts changed its exports: update the replacement in scripts/build-cli.mjs')
      }
      return {contents: compilerModule, loader: 'js', resolveDir: path.dirname(args.path)}
    })
    b.onLoad({filter: /[/\\]src[/\\]capture[/\\]manifest\.ts$/}, (args) => {
      const original = readFileSync(args.path, 'utf8')
      if (!PACKAGE_JSON_READ.test(original)) {
        throw new Error('src/capture/manifest.ts no longer reads ../../package.json as expected: update scripts/build-cli.mjs')
      }
      return {contents: original.replace(PACKAGE_JSON_READ, JSON.stringify(JSON.stringify({version: pkg.version}))), loader: 'ts', resolveDir: path.dirname(args.path)}
    })
  },
}

await build({
  entryPoints: [path.join(repo, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Minified: ~10-20 ms less to read and compile per run (measured); the source map beside it
  // gives readable stacks under `node --enable-source-maps`.
  minify: true,
  sourcemap: 'linked',
  // Run directly (`node nestreport.cjs ...`), the bundle starts the CLI itself; loaded by
  // bin/run.js, it only exports main.
  footer: {js: 'if (require.main === module) module.exports.main({root: __dirname, argv: process.argv.slice(2)})'},
  define: {NESTREPORT_PACKAGE_JSON: JSON.stringify(pjson)},
  // oclif requires typescript (10 MB) only to run a plugin's .ts sources in development, inside a
  // try/catch: leave it out.
  external: ['typescript'],
  plugins: [inlineRuntimeFiles],
  legalComments: 'eof',
  logLevel: 'warning',
})

// The code cache, made by a child process: V8 accepts a cache only under the flags it was made with.
execFileSync(process.execPath, [path.join(repo, 'scripts', 'write-code-cache.mjs'), outfile], {stdio: ['ignore', 'ignore', 'inherit']})
console.log(outfile)
