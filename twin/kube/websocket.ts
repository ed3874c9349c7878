/**
 * The server side of RFC 6455, as much as Kubernetes' streaming protocols need: the accept key,
 * masked client frames (fragmented or not), binary messages out, ping answered with pong, and
 * the closing handshake. Node has a WebSocket client but no server.
 */
import { createHash } from 'node:crypto'
import type { Duplex } from 'node:stream'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa }

export const acceptKey = (key: string) =>
  createHash('sha1')
    .update(key + GUID)
    .digest('base64')

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, n])
      : n < 65536
        ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
        : Buffer.concat([
            Buffer.from([0x80 | opcode, 127]),
            (() => {
              const b = Buffer.alloc(8)
              b.writeBigUInt64BE(BigInt(n))
              return b
            })()
          ])
  return Buffer.concat([head, payload])
}

export class WebSocketServerConnection {
  private buffered = Buffer.alloc(0)
  private fragments: Buffer[] = []
  private closed = false
  private socket: Duplex
  onMessage: (data: Buffer) => void = () => {}
  onClose: () => void = () => {}

  constructor(socket: Duplex, head: Buffer) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('close', () => this.finish())
    socket.on('error', () => this.finish())
    if (head.length) this.receive(head)
  }

  send(data: Buffer) {
    if (!this.closed) this.socket.write(frame(OP.binary, data))
  }

  /** Starts the closing handshake; the peer's close frame (or its hang-up) ends the socket. */
  close(code = 1000) {
    if (this.closed) return
    const payload = Buffer.alloc(2)
    payload.writeUInt16BE(code)
    this.socket.write(frame(OP.close, payload))
    this.closed = true
    // A client that never answers the close frame must not keep the socket open.
    setTimeout(() => this.socket.destroy(), 1000).unref()
    this.onClose()
  }

  private finish() {
    if (!this.closed) {
      this.closed = true
      this.onClose()
    }
    this.socket.destroy()
  }

  private receive(chunk: Buffer) {
    this.buffered = Buffer.concat([this.buffered, chunk])
    for (;;) {
      const b = this.buffered
      if (b.length < 2) return
      const fin = (b[0]! & 0x80) !== 0
      const opcode = b[0]! & 0x0f
      const masked = (b[1]! & 0x80) !== 0
      let length = b[1]! & 0x7f
      let offset = 2
      if (length === 126) {
        if (b.length < 4) return
        length = b.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (b.length < 10) return
        length = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      const maskAt = offset
      if (masked) offset += 4
      if (b.length < offset + length) return
      const payload = Buffer.from(b.subarray(offset, offset + length))
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskAt + (i % 4)]!
      this.buffered = b.subarray(offset + length)
      this.handle(fin, opcode, payload)
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer) {
    if (opcode === OP.ping) {
      if (!this.closed) this.socket.write(frame(OP.pong, payload))
      return
    }
    if (opcode === OP.pong) return
    if (opcode === OP.close) {
      if (!this.closed) {
        this.socket.write(frame(OP.close, payload.subarray(0, 2)))
        this.closed = true
        this.onClose()
      }
      this.socket.end()
      return
    }
    this.fragments.push(payload)
    if (!fin) return
    const message = Buffer.concat(this.fragments)
    this.fragments = []
    this.onMessage(message)
  }
}
