// Format registry: one parser per PBX log format, created fresh per source (parsers keep a little
// state: the last date seen, multi-line continuations).
import { ErrorCodes, SgwError } from '../../errors.js'
import { FORMAT_NAMES, type FormatName, type LineParser } from '../types.js'
import { AsteriskParser } from './asterisk.js'
import type { ParserOptions } from './common.js'
import { FreeswitchParser } from './freeswitch.js'
import { KamailioParser } from './kamailio.js'
import { YateParser } from './yate.js'

export type { ParserOptions } from './common.js'

export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name)
}

export function createParser(format: FormatName, opts: ParserOptions = {}): LineParser {
  switch (format) {
    case 'asterisk':
      return new AsteriskParser(opts)
    case 'asterisk-security':
      return new AsteriskParser({ ...opts, securityOnly: true })
    case 'freeswitch':
      return new FreeswitchParser(opts)
    case 'kamailio':
      return new KamailioParser(opts)
    case 'yate':
      return new YateParser(opts)
    default:
      throw new SgwError(ErrorCodes.LOGWATCH_FORMAT, `unknown log format '${String(format)}'`)
  }
}
