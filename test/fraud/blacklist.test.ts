import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { Blacklist, parseBlacklist } from '../../src/fraud/blacklist.js'
import { createClassifier } from '../../src/fraud/classify.js'
import { policyOf, tempDir, waitFor } from './helpers.js'

describe('blacklist', () => {
  it('reads plain lists and CSV, exact numbers and prefixes', () => {
    const tmp = tempDir()
    try {
      const a = tmp.write(
        'a.txt',
        '# known IRSF numbers\n+88213000123\n+8821600*   # a block\n4930 1234 5678\n',
      )
      const b = tmp.write('b.csv', 'number,note\n"+4470 1234 5678",reported 2026-03-02\n')
      const bl = new Blacklist([a, b])
      assert.equal(bl.size, 4)
      assert.equal(bl.match('+88213000123')?.entry, '+88213000123')
      assert.equal(bl.match('+882130001234'), null) // exact entries are not prefixes
      assert.equal(bl.match('+882160012345')?.entry, '+8821600*')
      assert.equal(bl.match('+4930123456780'), null)
      assert.equal(bl.match('+493012345678')?.line, 4)
      assert.equal(bl.match('+447012345678')?.file, b)
      assert.equal(bl.match('+4930999'), null)
    } finally {
      tmp.remove()
    }
  })

  it('rejects bad entries with file:line', () => {
    assert.throws(
      () => parseBlacklist('+4930\nnot-a-number\n', 'bl.txt'),
      (e: Error & { code?: string }) =>
        e.code === 'SGW_ERR_FRAUD_DATA' && /^bl\.txt:2: "not-a-number"/.test(e.message),
    )
  })

  it('reloads on change; a bad file keeps the previous list and reports file:line', async () => {
    const tmp = tempDir()
    const errors: Error[] = []
    const file = tmp.write('bl.txt', '+88213000123\n')
    const policy = policyOf(
      `fraud: { blacklistFiles: [bl.txt] }\ntenants: [{ name: b, country: DE }]`,
      tmp.dir,
    )
    const c = createClassifier(policy, { watchIntervalMs: 25, onError: (e) => errors.push(e) })
    try {
      assert.equal(c.classify('0088213000123', 'b').blacklisted, true)
      assert.equal(c.classify('030 1234567', 'b').blacklisted, false)

      const gen = c.blacklist.generation
      writeFileSync(file, '+4930 1234567\n# the old one is gone\n')
      assert.ok(await waitFor(() => c.blacklist.generation !== gen), 'the list was reloaded')
      assert.equal(c.classify('030 1234567', 'b').blacklisted, true) // memo dropped on reload
      assert.equal(c.classify('0088213000123', 'b').blacklisted, false)

      writeFileSync(file, '+4930 1234567\n+49abc\n+4940 9999\n')
      assert.ok(await waitFor(() => errors.length > 0), 'the error was reported')
      assert.match(errors[0]!.message, /bl\.txt:2: /)
      assert.equal(c.classify('030 1234567', 'b').blacklisted, true) // previous list in force
    } finally {
      c.close()
      tmp.remove()
    }
  })
})
