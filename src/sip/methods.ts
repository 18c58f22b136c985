// Interned method names: the methods of RFC 3261 and its extensions cost no string allocation
// when read from bytes (request lines and CSeq headers).

interface MethodEntry {
  readonly bytes: Uint8Array
  readonly name: string
}

const METHODS: (MethodEntry[] | undefined)[] = []
for (const name of [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'REGISTER',
  'OPTIONS',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]) {
  const entry = { bytes: Buffer.from(name, 'latin1'), name }
  const list = METHODS[name.length]
  if (list === undefined) METHODS[name.length] = [entry]
  else list.push(entry)
}

export function methodName(buf: Buffer, start: number, end: number): string {
  const list = METHODS[end - start]
  if (list !== undefined) {
    for (let k = 0; k < list.length; k++) {
      const m = list[k]!
      const b = m.bytes
      let i = 0
      while (i < b.length && buf[start + i] === b[i]) i++
      if (i === b.length) return m.name
    }
  }
  return buf.toString('latin1', start, end)
}
