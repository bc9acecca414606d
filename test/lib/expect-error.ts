import {expect} from 'vitest'

import {NestreportError} from '../../src/lib/errors.js'

/** The NestreportError a promise rejects with; fails the test when it resolves or throws something else. */
export async function rejection(promise: Promise<unknown>): Promise<NestreportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(NestreportError)
  expect((error as Error).message).not.toContain('\n')
  return error as NestreportError
}

export const exitOf = async (promise: Promise<unknown>) => (await rejection(promise)).exitCode
