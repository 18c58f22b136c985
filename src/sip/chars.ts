// Character classes of RFC 3261 §25.1 as one 128-entry bit table, indexed by byte or by
// char code. Every class is ASCII-only; callers check `c < 128` first (UTF8-NONASCII is
// only legal inside quoted strings, comments, display names and TEXT-UTF8 values).

export const CR = 0x0d
export const LF = 0x0a
export const SP = 0x20
export const HT = 0x09
export const COLON = 0x3a
export const SEMI = 0x3b
export const COMMA = 0x2c
export const DQUOTE = 0x22
export const BACKSLASH = 0x5c
export const LAQUOT = 0x3c
export const RAQUOT = 0x3e
export const EQUAL = 0x3d
export const SLASH = 0x2f
export const PERCENT = 0x25

export const C_ALPHA = 1
export const C_DIGIT = 2
export const C_HEX = 4
/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const C_TOKEN = 8
/** word: token chars plus ( ) < > : \ DQUOTE / [ ] ? { } (Call-ID) */
export const C_WORD = 16
/** unreserved = alphanum / mark */
export const C_UNRESERVED = 32
/** user-unreserved: & = + $ , ; ? / */
export const C_USER = 64
/** password extra chars: & = + $ , */
export const C_PASSWORD = 128
/** param-unreserved: [ ] / : & + $ */
export const C_PARAM = 256
/** hnv-unreserved: [ ] / ? : + $ */
export const C_HNV = 512
/** reserved / unreserved (uric of RFC 2396, for absoluteURI) */
export const C_URIC = 1024
/** host name chars: alphanum - . _ (underscore tolerated, common in the field) */
export const C_HOST = 2048
/** scheme chars after the first ALPHA: alphanum + - . */
export const C_SCHEME = 4096

export const CHAR: Uint16Array = (() => {
  const t = new Uint16Array(128)
  const add = (chars: string, flag: number): void => {
    for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)]! |= flag
  }
  const alpha = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
  const digit = '0123456789'
  const alnum = alpha + digit
  add(alpha, C_ALPHA)
  add(digit, C_DIGIT)
  add(digit + 'abcdefABCDEF', C_HEX)
  add(alnum + "-.!%*_+`'~", C_TOKEN)
  add(alnum + '-.!%*_+`\'~()<>:\\"/[]?{}', C_WORD)
  add(alnum + "-_.!~*'()", C_UNRESERVED)
  add('&=+$,;?/', C_USER)
  add('&=+$,', C_PASSWORD)
  add('[]/:&+$', C_PARAM)
  add('[]/?:+$', C_HNV)
  add(alnum + "-_.!~*'()" + ';/?:@&=+$,%', C_URIC)
  add(alnum + '-._', C_HOST)
  add(alnum + '+-.', C_SCHEME)
  return t
})()

/** 1 for token bytes, 0 otherwise: one load per byte on the parser's hot loops. */
export const TOKEN_BYTE: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let i = 0; i < 128; i++) t[i] = (CHAR[i]! & C_TOKEN) !== 0 ? 1 : 0
  return t
})()

/** ASCII lower-casing table for bytes (identity outside A-Z). */
export const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let i = 0; i < 256; i++) t[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i
  return t
})()
