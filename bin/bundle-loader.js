// Loads the CLI bundle (dist/nestreport.cjs) the way Node loads a CommonJS module, but compiled
// with V8's code cache (dist/nestreport.cjs.v8cache, written by `npm run build`): Node 20 has no
// compile cache of its own (module.enableCompileCache is Node 22), and compiling the 1.8 MB bundle
// from source costs more than all of collect's own work after it. The cache is only an
// accelerator: V8 rejects one made by another Node/V8 version or other V8 flags, and the bundle
// then compiles from source as usual. Nothing is written at run time; the build writes the cache.
import {readFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import path from 'node:path'
import vm from 'node:vm'

export const codeCachePath = (bundlePath) => `${bundlePath}.v8cache`

/**
 * The bundle's exports, and the compiled script (for createCachedData) and whether V8 refused
 * the cache (`cacheRejected`, undefined when there was none).
 */
export function loadBundle(bundlePath) {
  const source = readFileSync(bundlePath, 'utf8')
  let cachedData
  try {
    cachedData = readFileSync(codeCachePath(bundlePath))
  } catch {
    // No cache (a copied bundle, a build that stopped early): compile from source.
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: bundlePath,
    cachedData,
    // Dynamic import() inside the bundle resolves like it would in a module of the main context.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  })
  const module = {exports: {}, filename: bundlePath, id: bundlePath, loaded: false}
  const require = createRequire(bundlePath)
  script.runInThisContext().call(module.exports, module.exports, require, module, bundlePath, path.dirname(bundlePath))
  module.loaded = true
  return {exports: module.exports, script, cacheRejected: cachedData === undefined ? undefined : script.cachedDataRejected}
}
