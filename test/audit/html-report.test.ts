import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { esc, renderHtml } from '../../src/audit/report/html.js'
import { audit } from '../../src/audit/run.js'
import { fixture, tempConfig } from './helpers.js'

const NOW = new Date('2026-01-02T03:04:05Z')

describe('HTML report', () => {
  it('escapes configuration values: a <script> in bindaddr stays text', () => {
    const dir = tempConfig({
      'manager.conf': [
        '[general]',
        'enabled = yes',
        'bindaddr = <script>alert(1)</script>',
        '',
        '[adm"in\'<b>]',
        'secret = Xq7-vL2p-Rt9w-Kz4m',
        'deny = 0.0.0.0/0.0.0.0',
        'permit = 127.0.0.1/255.255.255.255',
      ].join('\n'),
    })
    const r = audit(dir)
    assert.ok(r.findings.some((f) => f.id === 'ast.ami.public-bind'))
    const html = renderHtml([r], 'test', { now: NOW })
    assert.ok(!/<script/i.test(html), 'no script element at all')
    assert.ok(!html.includes('<b>'), 'markup from a section name is escaped')
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
    assert.ok(html.includes('<code>manager.conf:3</code>'))
    assert.ok(!html.includes('Xq7-vL2p'), 'secret masked')
  })

  it('esc() covers element content and both attribute quotes', () => {
    assert.equal(
      esc(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })

  it('is self-contained: inline CSS, no external assets, no scripts', () => {
    const html = renderHtml([audit(fixture('asterisk-insecure'))], 'test', { now: NOW })
    assert.match(html, /^<!DOCTYPE html>/)
    assert.match(html, /<style>[^<]+<\/style>/)
    assert.ok(!/<(script|link|img|iframe|object)\b/i.test(html))
    assert.ok(!/\b(src|href)="(https?:)?\/\//i.test(html), 'no remote URL')
    assert.ok(!/@import|url\(/i.test(html))
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/)
  })

  it('groups findings by severity with evidence, path, remediation and the hardening index', () => {
    const r = audit(fixture('asterisk-insecure'))
    const html = renderHtml([r], 'test', { now: NOW })
    const order = ['critical', 'high'].map((s) => html.indexOf(`id="a0-${s}"`))
    assert.ok(order[0]! > 0 && order[1]! > order[0]!, 'critical before high')
    // the anonymous endpoint's toll path, hop by hop
    const start = html.indexOf('<code>ast.pjsip.anonymous-endpoint</code>')
    const article = html.slice(start, html.indexOf('</article>', start))
    assert.match(article, /<ol class="path">/)
    for (const hop of ['pjsip.conf:31', 'extensions.conf:9', 'extensions.conf:13', 'extensions.conf:33'])
      assert.ok(article.includes(`<code>${hop}</code>`), hop)
    assert.match(article, /<strong>Fix:<\/strong> /)
    assert.ok(
      html.includes(`<meter min="0" max="100" low="50" high="80" optimum="100" value="${r.hardeningIndex}">`),
    )
    assert.ok(html.includes('Generated 2026-01-02T03:04:05Z'))
    for (const secret of ['mysecret', 'amp111', 'monitor1', '4242', 'Xq7-vL2p-Rt9w-Kz4m'])
      assert.ok(!html.includes(secret), `secret ${secret} leaked`)
  })

  it('lists accepted findings with their reason and skipped checks with their note', () => {
    const r = audit(fixture('yate-insecure'), {
      ignore: [{ id: 'yate.reg.autocreate', reason: 'lab <only>', at: 1 }],
      host: { procRoot: '/nonexistent', passwdFile: '/nonexistent', ss: '/nonexistent/ss' },
    })
    const html = renderHtml([r], 'test', { now: NOW })
    assert.match(html, /Accepted findings \(ignore file\): 1/)
    assert.ok(html.includes('lab &lt;only&gt;'))
    assert.match(html, /<code>yate\.host\.mgmt-port-public<\/code> skipped: `ss` not found/)
  })
})
