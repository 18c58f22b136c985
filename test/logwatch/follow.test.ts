// Following files: rotation by rename, truncation, restart without re-counting old lines.
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileFollower } from '../../src/logwatch/sources/follow.js'
import { PositionStore } from '../../src/logwatch/sources/positions.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-follow-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function follower(path: string, positions: PositionStore, fromStart = false) {
  const lines: string[] = []
  const f = new FileFollower(path, (l) => lines.push(l), {
    positions,
    fromStart,
    onError: (e) => assert.fail(String(e)),
  })
  return { f, lines }
}

describe('file follower', () => {
  it('starts at the end of a file seen for the first time, then reads what is appended', async () => {
    const path = join(dir, 'a.log')
    writeFileSync(path, 'old 1\nold 2\n')
    const { f, lines } = follower(path, new PositionStore(null))
    await f.poll()
    appendFileSync(path, 'new 1\nnew ')
    await f.poll()
    assert.deepEqual(lines, ['new 1'])
    appendFileSync(path, '2\n')
    await f.poll()
    assert.deepEqual(lines, ['new 1', 'new 2'])
    await f.stop()
  })

  it('--from-start reads existing content', async () => {
    const path = join(dir, 'b.log')
    writeFileSync(path, 'l1\nl2\n')
    const { f, lines } = follower(path, new PositionStore(null), true)
    await f.poll()
    assert.deepEqual(lines, ['l1', 'l2'])
    await f.stop()
  })

  it('rotation by rename: finishes the old file, then reads the new one from its start', async () => {
    const path = join(dir, 'c.log')
    writeFileSync(path, '')
    const { f, lines } = follower(path, new PositionStore(null))
    await f.poll()
    appendFileSync(path, 'before\n')
    await f.poll()
    appendFileSync(path, 'late write to old file\n')
    renameSync(path, `${path}.1`)
    writeFileSync(path, 'fresh 1\n')
    await f.poll()
    assert.deepEqual(lines, ['before', 'late write to old file', 'fresh 1'])
    await f.stop()
  })

  it('rotation by truncation (copytruncate): reads again from 0', async () => {
    const path = join(dir, 'd.log')
    writeFileSync(path, '')
    const { f, lines } = follower(path, new PositionStore(null))
    await f.poll()
    appendFileSync(path, 'one\ntwo\n')
    await f.poll()
    truncateSync(path, 0)
    appendFileSync(path, 'three\n')
    await f.poll()
    assert.deepEqual(lines, ['one', 'two', 'three'])
    await f.stop()
  })

  it('restart: resumes from the saved position without re-counting old lines', async () => {
    const path = join(dir, 'e.log')
    const state = join(dir, 'positions.json')
    writeFileSync(path, '')
    const p1 = new PositionStore(state)
    const a = follower(path, p1)
    await a.f.poll()
    appendFileSync(path, 'seen 1\nseen 2\n')
    await a.f.poll()
    await a.f.stop()
    await p1.save()
    appendFileSync(path, 'while down\n')
    const b = follower(path, new PositionStore(state))
    await b.f.poll()
    assert.deepEqual(a.lines, ['seen 1', 'seen 2'])
    assert.deepEqual(b.lines, ['while down'])
    await b.f.stop()
  })

  it('restart after a rotation while down: the new file is read from its start', async () => {
    const path = join(dir, 'g.log')
    const state = join(dir, 'positions2.json')
    writeFileSync(path, 'x\n')
    const p1 = new PositionStore(state)
    const a = follower(path, p1)
    await a.f.poll()
    await a.f.stop()
    await p1.save()
    renameSync(path, `${path}.1`)
    writeFileSync(path, 'after rotation\n')
    const b = follower(path, new PositionStore(state))
    await b.f.poll()
    assert.deepEqual(b.lines, ['after rotation'])
    await b.f.stop()
  })
})
