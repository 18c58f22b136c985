// Glob patterns in log sources: the matcher, the bounded directory walk, and following files
// that appear later without reading a rotated file twice.
import assert from 'node:assert/strict'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { FileFollower } from '../../src/logwatch/sources/follow.js'
import {
  checkGlob,
  expandGlob,
  GlobFollower,
  hasMagic,
  segmentRegExp,
} from '../../src/logwatch/sources/glob.js'
import { PositionStore } from '../../src/logwatch/sources/positions.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-glob-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('glob matcher', () => {
  const m = (pat: string, name: string) => segmentRegExp(pat).test(name)
  it('* ? and classes, within one path segment', () => {
    assert.ok(m('messages*', 'messages'))
    assert.ok(m('messages*', 'messages.1'))
    assert.ok(!m('messages*', 'xmessages'))
    assert.ok(m('full.?', 'full.1'))
    assert.ok(!m('full.?', 'full.10'))
    assert.ok(m('pbx[0-9].log', 'pbx7.log'))
    assert.ok(!m('pbx[0-9].log', 'pbxa.log'))
    assert.ok(m('pbx[!0-9].log', 'pbxa.log'))
    assert.ok(m('pbx[^0-9].log', 'pbxa.log'))
    assert.ok(!m('pbx[!0-9].log', 'pbx1.log'))
    assert.ok(m('a[.-]b', 'a-b') && m('a[.-]b', 'a.b') && !m('a[.-]b', 'axb'))
  })
  it('regex characters are literal; \\ escapes; a lone [ is literal', () => {
    assert.ok(m('a.b', 'a.b'))
    assert.ok(!m('a.b', 'axb'))
    assert.ok(m('(x)+{1}|$^', '(x)+{1}|$^'))
    assert.ok(m('star\\*', 'star*'))
    assert.ok(!m('star\\*', 'starx'))
    assert.ok(m('a[b', 'a[b'))
    assert.ok(!hasMagic('/var/log/asterisk/messages'))
    assert.ok(hasMagic('/var/log/*/messages'))
    assert.ok(!hasMagic('/var/log/star\\*'))
  })
  it('refuses a pattern that cannot be compiled', () => {
    assert.throws(() => checkGlob('/var/log/[z-a]'), /invalid glob pattern segment/)
  })
})

describe('glob expansion', () => {
  const root = join(dir, 'tree')
  mkdirSync(join(root, 'pbx1'), { recursive: true })
  mkdirSync(join(root, 'pbx2'), { recursive: true })
  mkdirSync(join(root, 'other'), { recursive: true })
  mkdirSync(join(root, 'pbx3.log'), { recursive: true }) // a directory named like a log
  for (const f of ['pbx1/full', 'pbx1/full.1', 'pbx2/full', 'other/full', 'a.log', 'b.log', '.hidden.log'])
    writeFileSync(join(root, f), '')
  symlinkSync(join(root, 'a.log'), join(root, 'c.log'))

  it('matches files in the last segment, sorted; dotfiles only with a leading dot; no directories', async () => {
    assert.deepEqual(await expandGlob(join(root, '*.log')), [
      join(root, 'a.log'),
      join(root, 'b.log'),
      join(root, 'c.log'),
    ])
    assert.deepEqual(await expandGlob(join(root, '.*.log')), [join(root, '.hidden.log')])
  })
  it('wildcards in a directory segment', async () => {
    assert.deepEqual(await expandGlob(join(root, 'pbx?/full')), [
      join(root, 'pbx1/full'),
      join(root, 'pbx2/full'),
    ])
    assert.deepEqual(await expandGlob(join(root, 'pbx[12]/full*')), [
      join(root, 'pbx1/full'),
      join(root, 'pbx1/full.1'),
      join(root, 'pbx2/full'),
    ])
  })
  it('a plain path gives itself when it is a file; nothing for a missing directory', async () => {
    assert.deepEqual(await expandGlob(join(root, 'a.log')), [join(root, 'a.log')])
    assert.deepEqual(await expandGlob(join(root, 'nope/*.log')), [])
  })
  it('is bounded', async () => {
    assert.equal((await expandGlob(join(root, '*'), { maxMatches: 2 })).length, 2)
    assert.deepEqual(await expandGlob(join(root, '*'), { maxEntries: 3 }), [])
  })
})

describe('glob follower', () => {
  function setup(pattern: string) {
    const positions = new PositionStore(null)
    const lines: string[] = []
    const opened = new Set<string>()
    const seen = (dev: number, ino: number) => opened.has(`${dev}:${ino}`)
    const holder: { g?: GlobFollower } = {}
    const busy = (dev: number, ino: number) => holder.g!.isOpen(dev, ino)
    const g = new GlobFollower(pattern, {
      rescanMs: 3_600_000, // the test calls scan() and pollAll() itself
      known: seen,
      busy,
      follow: (path, isNew) =>
        new FileFollower(path, (l) => lines.push(`${path.slice(path.lastIndexOf('/') + 1)}: ${l}`), {
          positions,
          fromStart: isNew,
          pollMs: 3_600_000,
          seen,
          busy,
          onOpen: (dev, ino) => opened.add(`${dev}:${ino}`),
          onError: (e) => assert.fail(String(e)),
        }),
    })
    holder.g = g
    return { g, lines }
  }

  it('follows files that appear after start from their start; files there at start from their end', async () => {
    const d = join(dir, 'appear')
    mkdirSync(d)
    writeFileSync(join(d, 'a.log'), 'old a\n')
    const { g, lines } = setup(join(d, '*.log'))
    await g.start()
    assert.deepEqual(g.files, [join(d, 'a.log')])
    writeFileSync(join(d, 'b.log'), 'b 1\nb 2\n')
    await g.scan()
    assert.deepEqual(g.files, [join(d, 'a.log'), join(d, 'b.log')])
    appendFileSync(join(d, 'a.log'), 'new a\n')
    await g.pollAll()
    assert.deepEqual(lines, ['b.log: b 1', 'b.log: b 2', 'a.log: new a'])
    await g.stop()
  })

  it('rotation under `messages*`: every line read exactly once, the rotated file not read again', async () => {
    const d = join(dir, 'rotate')
    mkdirSync(d)
    const m = join(d, 'messages')
    writeFileSync(m, 'before start\n')
    const { g, lines } = setup(join(d, 'messages*'))
    await g.start()
    appendFileSync(m, 'line 1\nline 2\n')
    await g.pollAll()
    // logrotate: messages → messages.1; the PBX writes a last line to the old file, then reopens
    renameSync(m, `${m}.1`)
    writeFileSync(m, 'line 4\n')
    // the re-scan finds messages.1 while the follower of `messages` still holds it: left for later
    await g.scan()
    assert.deepEqual(g.files, [m])
    appendFileSync(`${m}.1`, 'line 3\n')
    await g.pollAll() // `messages` reads the rest of the old file, lets it go, reads the new one
    await g.scan() // now messages.1 is followed, from its end (already read)
    assert.deepEqual(g.files, [m, `${m}.1`])
    appendFileSync(`${m}.1`, 'line 5\n')
    appendFileSync(m, 'line 6\n')
    await g.pollAll()
    // second rotation: messages.1 → messages.2, messages → messages.1 (already read)
    renameSync(`${m}.1`, `${m}.2`)
    renameSync(m, `${m}.1`)
    writeFileSync(m, 'line 7\n')
    await g.pollAll()
    await g.pollAll()
    await g.stop()
    const texts = lines.map((l) => l.slice(l.indexOf(': ') + 2))
    assert.deepEqual(
      texts.sort(),
      ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7'],
      JSON.stringify(lines),
    )
  })
})
