// A minimal SMTP server for the tests (EHLO/HELO, MAIL, RCPT, DATA, QUIT), enough for
// nodemailer; no external package. Listens on 127.0.0.1, port 0; closed after the file's tests.
import { createServer as createNetServer, type Server as NetServer } from 'node:net'
import { after } from 'node:test'

export interface ReceivedMail {
  readonly from: string
  readonly to: string[]
  readonly data: string
}

/** A minimal SMTP server (EHLO/HELO, MAIL, RCPT, DATA, QUIT), enough for nodemailer. Closed
 * after the file's tests, or by the caller with `server.close()` when `closeAfterFile` is false
 * (a server started inside a hook). */
export async function smtpSink(
  opts: { closeAfterFile?: boolean } = {},
): Promise<{ port: number; mails: ReceivedMail[]; server: NetServer }> {
  const mails: ReceivedMail[] = []
  const server: NetServer = createNetServer((sock) => {
    sock.setEncoding('utf8')
    let buf = ''
    let inData = false
    let from = ''
    let to: string[] = []
    let data: string[] = []
    const reply = (s: string) => sock.write(`${s}\r\n`)
    reply('220 localhost test SMTP')
    sock.on('data', (chunk: string) => {
      buf += chunk
      let i: number
      while ((i = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            mails.push({ from, to, data: data.join('\n') })
            reply('250 OK queued')
          } else data.push(line.startsWith('..') ? line.slice(1) : line)
          continue
        }
        const cmd = line.slice(0, 4).toUpperCase()
        if (cmd === 'EHLO') reply('250-localhost\r\n250 8BITMIME')
        else if (cmd === 'HELO') reply('250 localhost')
        else if (cmd === 'MAIL') {
          from = line
          to = []
          data = []
          reply('250 OK')
        } else if (cmd === 'RCPT') {
          to.push(line)
          reply('250 OK')
        } else if (cmd === 'DATA') {
          inData = true
          reply('354 go ahead')
        } else if (cmd === 'QUIT') {
          reply('221 bye')
          sock.end()
        } else if (cmd === 'RSET' || cmd === 'NOOP') reply('250 OK')
        else reply('502 not implemented')
      }
    })
    sock.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  if (opts.closeAfterFile !== false) after(() => server.close())
  return { port: (server.address() as { port: number }).port, mails, server }
}
