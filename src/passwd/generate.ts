// Random secrets and PINs from crypto.randomInt (uniform, no modulo bias).
import { randomInt } from 'node:crypto'
import { assessPassword, assessPin } from './strength.js'

/** Named character sets. `safe` drops look-alikes (0O1lI) for people who type from a screen;
 * `phone` is letters and digits only, for handsets that cannot enter symbols. `full` leaves out
 * characters that need quoting in PBX configuration files (; # " ' \ = , space). */
export const CHARSETS: Record<string, string> = {
  full: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!%*+-._~@^:?/()[]{}',
  alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  phone: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  safe: 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789',
  hex: '0123456789abcdef',
  digits: '0123456789',
}

export const MIN_PIN_DIGITS = 6

export function randomString(length: number, alphabet: string): string {
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)]
  return out
}

/** A password of `length` characters that passes assessPassword (redrawn until it does). */
export function generatePassword(length: number, alphabet: string): string {
  for (let tries = 0; tries < 1000; tries++) {
    const s = randomString(length, alphabet)
    if (assessPassword(s, { minLength: Math.min(length, 12) }).verdict === 'ok' || alphabet.length < 20)
      return s
  }
  return randomString(length, alphabet)
}

/** A PIN of `digits` digits (at least 6) that is not a sequence, a repeat or a common PIN. */
export function generatePin(digits: number): string {
  for (;;) {
    const pin = randomString(digits, CHARSETS['digits']!)
    if (assessPin(pin, { minDigits: MIN_PIN_DIGITS }).verdict === 'ok') return pin
  }
}
