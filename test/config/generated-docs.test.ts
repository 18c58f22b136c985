// The JSON Schema and the key reference are generated from src/config/schema.ts and checked
// in. When the schema changes, regenerate them:
//   node dist/src/cli/main.js schema --output docs/sipwarden.schema.json
//   node dist/src/cli/main.js schema --format markdown   (paste between the markers in docs/policy.md)
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  buildJsonSchema,
  jsonSchemaText,
  policyReferenceMarkdown,
  REFERENCE_BEGIN,
  REFERENCE_END,
} from '../../src/config/json-schema.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

describe('generated artefacts match the schema', () => {
  it('docs/sipwarden.schema.json is what `sipwarden schema` generates now', () => {
    const committed = readFileSync(join(ROOT, 'docs/sipwarden.schema.json'), 'utf8')
    assert.ok(
      committed === jsonSchemaText(),
      'docs/sipwarden.schema.json is stale: run `node dist/src/cli/main.js schema --output docs/sipwarden.schema.json`',
    )
  })

  it('the key reference in docs/policy.md is what `sipwarden schema --format markdown` generates now', () => {
    const doc = readFileSync(join(ROOT, 'docs/policy.md'), 'utf8')
    const start = doc.indexOf(REFERENCE_BEGIN)
    const end = doc.indexOf(REFERENCE_END)
    assert.ok(start >= 0 && end > start, 'docs/policy.md lacks the generated reference markers')
    const committed = doc.slice(start + REFERENCE_BEGIN.length, end).trim()
    assert.ok(
      committed === policyReferenceMarkdown().trim(),
      'the key reference in docs/policy.md is stale: regenerate it with `sipwarden schema --format markdown`',
    )
  })

  it('describes the keys editors need and marks what is required', () => {
    const s = buildJsonSchema() as Record<string, unknown>
    assert.equal(s['$schema'], 'https://json-schema.org/draft/2020-12/schema')
    assert.deepEqual(s['required'], ['version', 'upstream'])
    assert.equal(s['additionalProperties'], false)
    const props = s['properties'] as Record<string, Record<string, unknown>>
    for (const key of [
      'site',
      'listen',
      'upstream',
      'tenants',
      'trunks',
      'gateway',
      'bans',
      'fraud',
      'alerting',
      'state',
      'logwatch',
      'firewall',
    ])
      assert.equal(typeof props[key]?.['description'], 'string', `${key} has no description`)
    const bans = props['bans']!['properties'] as Record<string, Record<string, unknown>>
    assert.equal(bans['defaultTtlMs']!['default'], 3_600_000)
  })
})
