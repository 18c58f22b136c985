import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CHARSETS, generatePassword, generatePin } from '../../src/passwd/generate.js'
import { assessPassword, assessPin, isKeyboardWalk, isSequential } from '../../src/passwd/strength.js'

const MAIN = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist/src/cli/main.js')

describe('password strength', () => {
  it('flags the weakpasswords floor and more', () => {
    assert.equal(assessPassword('').verdict, 'empty')
    assert.equal(assessPassword('mysecret').verdict, 'default-known')
    assert.equal(assessPassword('1001', { identities: ['1001'] }).verdict, 'equals-identity')
    assert.equal(assessPassword('alice2024', { identities: ['alice'] }).verdict, 'equals-identity')
    assert.ok(assessPassword('0123456789').weaknesses.includes('sequential'))
    assert.ok(assessPassword('aaaa1111bbbb').weaknesses.includes('repeated'))
    assert.ok(assessPassword('qwerty123456').weaknesses.includes('keyboard-walk'))
    assert.ok(assessPassword('1qaz2wsx3edc').weaknesses.includes('keyboard-walk'))
    assert.ok(assessPassword('P@ssw0rd2024!').weaknesses.includes('dictionary'))
    assert.equal(assessPassword('Tz8mQ4v').verdict, 'short')
    assert.equal(assessPassword('Vq8#rT2m!Lx9pZ4wKd7s').verdict, 'ok')
  })

  it('detects sequences (including wrap-around) and keyboard walks', () => {
    assert.ok(isSequential('7890'))
    assert.ok(isSequential('dcba'))
    assert.ok(!isSequential('1357'))
    assert.ok(isKeyboardWalk('asdfgh'))
    assert.ok(!isKeyboardWalk('k3v9x2'))
  })

  it('PIN rules: 6+ digits, no sequence, repeat, common PIN or identity', () => {
    assert.notEqual(assessPin('12345').verdict, 'ok')
    assert.notEqual(assessPin('123456').verdict, 'ok')
    assert.notEqual(assessPin('111111').verdict, 'ok')
    assert.notEqual(assessPin('121212').verdict, 'ok')
    assert.notEqual(assessPin('830516', { identities: ['830516'] }).verdict, 'ok')
    assert.equal(assessPin('830516').verdict, 'ok')
  })
})

describe('generators', () => {
  it('passwords use the charset, have the length and pass the checker', () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword(20, CHARSETS['safe']!)
      assert.equal(p.length, 20)
      assert.ok([...p].every((c) => CHARSETS['safe']!.includes(c)))
      assert.equal(assessPassword(p).verdict, 'ok')
    }
  })

  it('PINs are digits, at least 6, never weak', () => {
    for (let i = 0; i < 200; i++) {
      const pin = generatePin(6)
      assert.match(pin, /^\d{6}$/)
      assert.equal(assessPin(pin).verdict, 'ok')
    }
  })
})

describe('sipwarden passwd (CLI)', () => {
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, [MAIN, 'passwd', ...args], { encoding: 'utf8', input })

  it('generate prints passwords and PINs; rejects short PINs with exit 2', () => {
    const g = run(['generate', '--length', '24', '--count', '3'])
    assert.equal(g.status, 0)
    assert.deepEqual(
      g.stdout
        .trim()
        .split('\n')
        .map((l) => l.length),
      [24, 24, 24],
    )
    const p = run(['generate', '--pin', '--digits', '8'])
    assert.match(p.stdout.trim(), /^\d{8}$/)
    assert.equal(run(['generate', '--pin', '--digits', '4']).status, 2)
  })

  it('check exits 1 for weak, 0 for strong, reads - from stdin', () => {
    const weak = run(['check', '--user', '1001', '1001'])
    assert.equal(weak.status, 1)
    assert.match(weak.stdout, /user, device or mailbox name/)
    assert.equal(run(['check', '-'], 'Vq8#rT2m!Lx9pZ4wKd7s\n').status, 0)
    assert.equal(run(['check', 'password123']).status, 1)
  })
})
