import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    // @oclif/core writes through process.stdout; vitest's console interception would swallow it.
    disableConsoleIntercept: true,
    env: {FORCE_COLOR: '0', NESTREPORT_TEST: '1'},
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
