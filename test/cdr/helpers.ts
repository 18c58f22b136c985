// Shared by the CDR tests: the policy of the synthetic site (tenant acme in Germany, accounts
// 1000–1019, international calls to FR and GB allowed).
export const POLICY = `version: 1
upstream: udp:127.0.0.1:5080
site:
  timezone: Europe/Berlin
fraud:
  defaults:
    callingRights:
      allow: [emergency, internal, toll-free, fixed, mobile, international]
      countries:
        allow: [FR, GB]
tenants:
  - name: acme
    country: DE
    accounts:
${Array.from({ length: 20 }, (_, i) => `      - name: '${1000 + i}'`).join('\n')}
`
