// Excerpts for evidence lines, with credentials scrubbed.
import { scrubInlineCredentials } from './mask.js'

const MAX = 160

export function clip(text: string): string {
  const t = text.trim()
  return t.length > MAX ? `${t.slice(0, MAX - 1)}…` : t
}

/** A dialplan line: dial strings may carry `user:secret@host` (IAX2, SIP URIs). */
export function excerptDialLine(raw: string): string {
  return clip(scrubInlineCredentials(raw))
}
