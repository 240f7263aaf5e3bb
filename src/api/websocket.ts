// The server side of WebSocket (RFC 6455), as small as the network relay
// needs (relay.ts): the opening handshake on a Node HTTP server's upgrade
// event, binary messages both ways, ping answered with pong, the closing
// handshake. Node has a WebSocket client but no server, and the package
// keeps no runtime dependencies. Text messages are ignored (the relay
// carries bytes only); extensions (compression) are never negotiated.

import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

// RFC 6455 §1.3: the server proves it read the handshake by hashing the
// client's key with this fixed GUID.
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// §5.2: opcodes and header bits.
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const FIN = 0x80;
const MASKED = 0x80;
const LEN_16 = 126;
const LEN_64 = 127;
// §7.4.1: status codes of a close frame.
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_TOO_BIG = 1009;
// The largest message accepted: an Ethernet frame or IP packet is far smaller.
const MAX_MESSAGE = 1 << 20;

export class WebSocketConnection {
  onMessage: (data: Uint8Array) => void = () => {};
  onClose: () => void = () => {};
  private buf: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsOp = -1;
  private closed = false;

  constructor(private readonly sock: Duplex) {
    sock.on("data", (d: Buffer) => { this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d; this.parse(); });
    sock.on("close", () => this.gone());
    sock.on("error", () => this.gone());
  }

  get open(): boolean { return !this.closed; }

  // One binary message to the client (server frames are never masked, §5.1).
  send(data: Uint8Array): void {
    if (!this.closed) this.sock.write(frame(OP_BINARY, data));
  }

  close(code = CLOSE_NORMAL): void {
    if (this.closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.sock.end(frame(OP_CLOSE, body));
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.sock.writableEnded) this.sock.end();
    this.onClose();
  }

  private parse(): void {
    while (!this.closed && this.buf.length >= 2) {
      const b0 = this.buf[0], b1 = this.buf[1];
      let len = b1 & 0x7f, at = 2;
      if (len === LEN_16) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); at = 4; }
      else if (len === LEN_64) {
        if (this.buf.length < 10) return;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) { this.close(CLOSE_TOO_BIG); return; }
        len = Number(big); at = 10;
      }
      // §5.1: a client's frames are masked; an unmasked one is a protocol error.
      if (!(b1 & MASKED)) { this.close(CLOSE_PROTOCOL_ERROR); return; }
      if (this.buf.length < at + 4 + len) return;
      const mask = this.buf.subarray(at, at + 4);
      const payload = Buffer.from(this.buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.buf = this.buf.subarray(at + 4 + len);
      this.frame(b0 & 0x0f, (b0 & FIN) !== 0, payload);
    }
  }

  private frame(op: number, fin: boolean, payload: Buffer): void {
    switch (op) {
      case OP_PING: if (!this.closed) this.sock.write(frame(OP_PONG, payload)); return;
      case OP_PONG: return;
      case OP_CLOSE: this.close(CLOSE_NORMAL); return;
      case OP_TEXT: case OP_BINARY:
        if (this.partsOp >= 0) { this.close(CLOSE_PROTOCOL_ERROR); return; }
        this.partsOp = op;
        this.parts = [payload];
        break;
      case OP_CONTINUATION:
        if (this.partsOp < 0) { this.close(CLOSE_PROTOCOL_ERROR); return; }
        this.parts.push(payload);
        break;
      default: this.close(CLOSE_PROTOCOL_ERROR); return;
    }
    if (this.parts.reduce((n, p) => n + p.length, 0) > MAX_MESSAGE) { this.close(CLOSE_TOO_BIG); return; }
    if (!fin) return;
    const whole = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const wasBinary = this.partsOp === OP_BINARY;
    this.partsOp = -1;
    this.parts = [];
    if (wasBinary) this.onMessage(new Uint8Array(whole.buffer, whole.byteOffset, whole.length));
  }
}

function frame(op: number, data: Uint8Array): Buffer {
  const n = data.length;
  const head = n < LEN_16 ? Buffer.alloc(2) : n <= 0xffff ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = FIN | op;
  if (n < LEN_16) head[1] = n;
  else if (n <= 0xffff) { head[1] = LEN_16; head.writeUInt16BE(n, 2); }
  else { head[1] = LEN_64; head.writeBigUInt64BE(BigInt(n), 2); }
  return Buffer.concat([head, data]);
}

// Completes the opening handshake of an HTTP upgrade request (§4.2.2), or
// answers 400 and returns null when it is not a WebSocket request.
export function acceptWebSocket(req: IncomingMessage, sock: Duplex): WebSocketConnection | null {
  const key = req.headers["sec-websocket-key"];
  if (req.headers.upgrade?.toLowerCase() !== "websocket" || typeof key !== "string") {
    sock.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    return null;
  }
  const accept = createHash("sha1").update(key + HANDSHAKE_GUID).digest("base64");
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  return new WebSocketConnection(sock);
}
