// Linux's pipe_buffers over a pipe's byte ring, as lengths only (the bytes
// stay in the ring, in order). What user space can see of them: a read
// copies each buffer whole or not at all when the user's buffer faults
// (pipe_read), and a packet (O_DIRECT) is one buffer that a read ends on.
//
// How pipe_write makes them: a write of n bytes first puts n % PAGE_SIZE
// bytes into the last buffer, if the pipe is not empty, that buffer can
// merge (not a packet) and they fit whole in the rest of its page; the
// rest goes into new buffers of up to a page each, filled from offset 0.
// A read takes bytes from the front of the first buffer; the page's fill
// (offset + len in Linux) does not change, so merging stays as Linux's.
//
// Kept as a ring of numbers in two plain arrays that only ever grow: a
// pipe round trip (a one-byte write into an empty pipe, its read) adds
// and removes one buffer and allocates nothing.

const PAGE = 4096;
const PACKET = -1; // fill of a packet buffer: never merged into

export class PipeBufs {
  // Buffer i (count of them from `first`, wrapping at `size`): its bytes
  // left, and how far its page was filled (PACKET for a packet).
  private len: number[] = [0];
  private fill: number[] = [0];
  private first = 0;
  count = 0;
  packets = 0; // packet buffers among them

  clear(): void { this.first = 0; this.count = 0; this.packets = 0; }

  get headLen(): number { return this.len[this.first]; }
  get headPacket(): boolean { return this.fill[this.first] === PACKET; }

  // n bytes were appended to the ring by one write (packet: O_DIRECT).
  add(n: number, packet: boolean): void {
    let left = n;
    const chars = n % PAGE;
    if (chars > 0 && this.count > 0) {
      const last = this.at(this.count - 1);
      const f = this.fill[last];
      if (f !== PACKET && f + chars <= PAGE) {
        this.len[last] += chars;
        this.fill[last] = f + chars;
        left -= chars;
      }
    }
    while (left > 0) {
      const k = Math.min(PAGE, left);
      this.push(k, packet ? PACKET : k);
      left -= k;
    }
  }

  // n bytes were taken from the front of the ring: whole buffers, then
  // the front of one.
  consume(n: number): void {
    while (n > 0 && this.count > 0) {
      const i = this.first, l = this.len[i];
      if (n < l) { this.len[i] = l - n; return; }
      n -= l;
      if (this.fill[i] === PACKET) this.packets--;
      this.first = (i + 1) % this.len.length;
      this.count--;
    }
    if (this.count === 0) this.first = 0;
  }

  private at(k: number): number { return (this.first + k) % this.len.length; }

  private push(len: number, fill: number): void {
    if (this.count === this.len.length) this.grow();
    const i = this.at(this.count);
    this.len[i] = len;
    this.fill[i] = fill;
    this.count++;
    if (fill === PACKET) this.packets++;
  }

  // Twice the slots, the buffers moved to the front in order.
  private grow(): void {
    const size = this.len.length;
    const len: number[] = [], fill: number[] = [];
    for (let k = 0; k < size * 2; k++) {
      len.push(k < this.count ? this.len[this.at(k)] : 0);
      fill.push(k < this.count ? this.fill[this.at(k)] : 0);
    }
    this.len = len;
    this.fill = fill;
    this.first = 0;
  }
}
