import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCodes, PolicyError, SgwError } from '../../src/errors.js'

describe('SgwError', () => {
  test('instanceof works through the brand for objects from another copy of the package', () => {
    const foreign = Object.create(null) as Record<symbol, unknown>
    foreign[Symbol.for('sipwarden.error')] = true
    assert.equal(foreign instanceof SgwError, true)
    assert.equal({} instanceof SgwError, false)
    assert.equal(new Error('x') instanceof SgwError, false)
  })

  test('a plain SgwError is not a PolicyError; a PolicyError is both', () => {
    const plain = new SgwError(ErrorCodes.CLI_INPUT, 'bad input')
    const policy = new PolicyError(ErrorCodes.POLICY_INVALID, 'bad policy', [
      { path: 'upstream', message: 'required' },
    ])
    assert.equal(plain instanceof PolicyError, false)
    assert.equal(policy instanceof PolicyError, true)
    assert.equal(policy instanceof SgwError, true)
    assert.equal(policy.code, 'SGW_ERR_POLICY_INVALID')
    assert.equal(policy.issues[0]?.path, 'upstream')
  })

  test('error codes are unique', () => {
    const values = Object.values(ErrorCodes)
    assert.equal(new Set(values).size, values.length)
  })
})
