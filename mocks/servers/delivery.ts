// How a mock puts an answer on the wire when a scenario says the network misbehaves: nothing at all
// (a stall), the answer dribbled out slowly but steadily, or the connection dropped part-way through
// the body. The same for every cloud, so the fault matrix means the same thing on each.
import type { ServerResponse } from 'node:http';

export type DeliveryFault = 'stall' | 'slow' | 'cut';
export const deliveryFaults: readonly string[] = ['stall', 'slow', 'cut'] satisfies DeliveryFault[];

/** A slow answer takes this long in all, one piece every SLOW_CHUNK_MS: steady, never idle for long. */
export const SLOW_TOTAL_MS = 6_000;
const SLOW_CHUNK_MS = 50;

export function isDeliveryFault(kind: string): kind is DeliveryFault {
  return deliveryFaults.includes(kind);
}

/** Writes `body` with `status` and `headers`, as `fault` says (or normally without one). */
export function deliver(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
  fault?: DeliveryFault,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  if (fault === 'stall') return; // The request was read; no header, no byte ever follows.
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  if (fault === 'cut') {
    // A proxy or a peer that dies mid-answer: the length promised, 60 % of it sent, the socket gone.
    res.write(bytes.subarray(0, Math.floor(bytes.length * 0.6)), () => res.socket?.destroy());
    return;
  }
  if (fault !== 'slow') {
    res.end(bytes);
    return;
  }
  const pieces = Math.max(2, Math.round(SLOW_TOTAL_MS / SLOW_CHUNK_MS));
  const size = Math.ceil(bytes.length / pieces);
  let offset = 0;
  const tick = setInterval(() => {
    const piece = bytes.subarray(offset, offset + size);
    offset += size;
    if (offset >= bytes.length) {
      clearInterval(tick);
      res.end(piece);
    } else res.write(piece);
  }, SLOW_CHUNK_MS);
  res.once('close', () => clearInterval(tick));
}

/**
 * A JSON array that never ends: the same element again and again, as fast as the client reads it.
 * A listing that loops forever without ever stalling; only a call's size limit or ceiling stops it.
 */
export function deliverEndlessArray(res: ServerResponse, element: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  const text = JSON.stringify(element);
  // About 64 KB a write, each one written when the last has drained.
  const batch = `,${text}`.repeat(Math.max(1, Math.ceil(65_536 / (text.length + 1))));
  let open = true;
  res.once('close', () => {
    open = false;
  });
  const pump = () => {
    while (open && res.write(batch));
    if (open) res.once('drain', pump);
  };
  res.write(`[${text}`);
  pump();
}
