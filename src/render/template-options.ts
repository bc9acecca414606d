/**
 * How report templates are compiled, at run time (src/render/engine.ts) and at build time
 * (scripts/precompile-templates.mjs, which reads this file on its own: keep it free of imports).
 * noEscape: handlebars would otherwise turn ` = < into HTML entities and corrupt markdown and code
 * blocks. strict: a misspelt field fails the tests instead of rendering as an empty string.
 */
export const TEMPLATE_OPTIONS = Object.freeze({noEscape: true, strict: true})
