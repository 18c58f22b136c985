import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildDialplan } from '../../src/audit/asterisk/dialplan.js'
import { DialplanGraph } from '../../src/audit/asterisk/reach.js'
import { readAsteriskConfig } from '../../src/audit/asterisk/reader.js'
import { classifyAsteriskPattern, classifyRegex } from '../../src/audit/toll.js'
import { tempConfig } from './helpers.js'

function graph(text: string): DialplanGraph {
  const dir = tempConfig({ 'extensions.conf': text })
  return new DialplanGraph(buildDialplan(readAsteriskConfig(dir, 'extensions.conf', [])))
}

describe('toll-route classifier', () => {
  it('classifies Asterisk patterns', () => {
    assert.equal(classifyAsteriskPattern('_011.').cls, 'international')
    assert.equal(classifyAsteriskPattern('_00X.').cls, 'international')
    assert.equal(classifyAsteriskPattern('_9011.').cls, 'international')
    assert.equal(classifyAsteriskPattern('_1900NXXXXXX').cls, 'premium')
    assert.equal(classifyAsteriskPattern('_0900XXXXXX').cls, 'premium')
    assert.equal(classifyAsteriskPattern('_X.').cls, 'open')
    assert.equal(classifyAsteriskPattern('_!').cls, 'open')
    assert.equal(classifyAsteriskPattern('_1NXXNXXXXXX').cls, 'national')
    assert.equal(classifyAsteriskPattern('_1NXXNXXXXXX').toll, false)
    assert.equal(classifyAsteriskPattern('_2XXX').toll, false)
    assert.equal(classifyAsteriskPattern('1001').toll, false)
  })

  it('classifies regular expressions (FreeSWITCH, Yate)', () => {
    assert.equal(classifyRegex('^(011\\d+)$').cls, 'international')
    assert.equal(classifyRegex('^\\+?(\\d+)$').cls, 'open')
    assert.equal(classifyRegex('^(\\d{4})$').toll, false)
  })
})

describe('dialplan reachability', () => {
  it('follows include, Goto, Gosub and Macro to a toll Dial and lists every hop', () => {
    const g = graph(
      '[in]\nexten => s,1,Gosub(sub,s,1)\n[sub]\nexten => s,1,Macro(route)\n[macro-route]\nexten => s,1,Goto(out,${EXTEN},1)\n[out]\nexten => _00.,1,Dial(PJSIP/${EXTEN}@trunk)\n',
    )
    const p = g.tollPath('in')!
    assert.ok(p)
    assert.deepEqual(
      p.hops.map((h) => h.loc.line),
      [2, 4, 6],
    )
    assert.equal(p.sink.line.loc.line, 8)
  })

  it('a Goto to a fixed extension reaches only that extension', () => {
    const g = graph(
      '[in]\nexten => 100,1,Goto(users,1001,1)\n[users]\nexten => 1001,1,Dial(PJSIP/1001)\nexten => _011.,1,Dial(PJSIP/${EXTEN}@trunk)\n',
    )
    assert.equal(g.tollPath('in'), undefined)
    assert.ok(g.tollPath('users'))
  })

  it('dynamic targets from dialled digits reach the whole context; Local channels are followed', () => {
    const g = graph(
      '[in]\nexten => _X.,1,Dial(Local/${EXTEN}@out)\n[out]\nexten => _9011.,1,Dial(SIP/trunk/${EXTEN:1})\n',
    )
    assert.equal(g.tollPath('in')?.sink.line.loc.line, 4)
  })

  it('an IVR menu (Background/WaitExten at s) lets the caller pick any extension of its context', () => {
    const menu = (app: string) =>
      graph(
        `[in]\nexten => s,1,Goto(menu,s,1)\n[menu]\nexten => s,1,${app}\nexten => 9,1,Goto(out,\${EXTEN},1)\n[out]\nexten => _011.,1,Dial(PJSIP/\${EXTEN}@itsp)\n`,
      )
    const p = menu('Background(main-menu)').tollPath('in')
    assert.deepEqual([...p!.hops.map((h) => h.loc.line), p!.sink.line.loc.line], [2, 4, 5, 7])
    assert.match(p!.hops[1]!.note ?? '', /caller chooses any extension of menu/)
    assert.equal(menu('WaitExten(5)').tollPath('in')?.sink.line.loc.line, 7)
    assert.equal(menu('Playback(closed)').tollPath('in'), undefined)
  })

  it('does not loop on cyclic includes', () => {
    const g = graph('[a]\ninclude => b\n[b]\ninclude => a\nexten => 1,1,NoOp()\n')
    assert.equal(g.tollPath('a'), undefined)
    assert.deepEqual(g.includeClosure('a').sort(), ['a', 'b'])
  })
})
