import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar, isLoopback } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.http.public-cleartext',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Asterisk HTTP server reachable off-host without TLS',
  rationale:
    'ARI and AMI-over-HTTP use Basic authentication: passwords cross the network in clear (http.conf.sample). ' +
    'High when AMI webenabled=yes or ARI users exist.',
  remediation: 'bindaddr=127.0.0.1 behind a TLS reverse proxy, or tlsenable=yes and firewall the plain port.',
  run(m) {
    const g = m.conf('http.conf').sections('general')[0]
    const en = get(g, 'enabled')
    const bind = get(g, 'bindaddr')
    if (!en || !isTrue(en.value) || !bind || isLoopback(bind.value) || isTrue(get(g, 'tlsenable')?.value))
      return []
    const web = isTrue(get(m.conf('manager.conf').sections('general')[0], 'webenabled')?.value)
    const ari = m.conf('ari.conf').ofType('user').length > 0
    const why = [web ? 'AMI over HTTP is enabled' : '', ari ? 'ARI users are defined' : '']
      .filter(Boolean)
      .join(', ')
    return [
      {
        message: `HTTP server on ${bind.value}:${get(g, 'bindport')?.value ?? '8088'} without TLS${why ? ` (${why})` : ''}`,
        evidence: [evVar(bind), evVar(en)],
        ...(why ? { severity: 'high' as const } : {}),
      },
    ]
  },
}
