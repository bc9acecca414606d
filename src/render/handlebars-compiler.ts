/**
 * The full handlebars (parser, compiler and the source-map library the compiler pulls in), loaded
 * on first use: the built CLI renders its own templates precompiled with handlebars/runtime, so
 * only a user's --template, or running from src/ (vitest), needs the compiler. Loading is
 * synchronous (handlebars is CommonJS) so rendering stays a plain function call.
 * The single-file build replaces this module with a static import (scripts/build-single.mjs).
 */
import {createRequire} from 'node:module'

import type Handlebars from 'handlebars'

export type HandlebarsCompiler = typeof Handlebars

const require = createRequire(import.meta.url)

export function loadHandlebarsCompiler(): HandlebarsCompiler {
  return require('handlebars') as HandlebarsCompiler
}
