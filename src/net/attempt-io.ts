// Which HTTP requests belong to which attempt of call(), whatever client sent them. Every cloud
// client here ends in node:http(s) (the AWS SDK's NodeHttpHandler, gaxios/node-fetch under gax,
// axios under @linode/api-v4, https.request in `ovh`), and Node publishes each such request on the
// `http.client.request.start` diagnostics channel in the async context of whoever sent it. So
// call() can see bytes arrive (its idle timeout) and can end a request itself, even for clients
// that take no AbortSignal (gax over REST, `ovh`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface AttemptIo {
  /** A request of this attempt started (it may still wait for a socket in its agent's pool). */
  onRequest(request: ClientRequest): void;
  /** A request of this attempt has its socket: it is being sent (what starts its timeouts). */
  onSocket(): void;
  /** A request of this attempt was handed to its agent: it may wait there for a socket, unbounded by call(). */
  onQueued(): void;
  /** Bytes arrived for a request of this attempt. */
  onActivity(bytes: number): void;
  /** The connection closed while an answer of this attempt was still coming. */
  onClosedEarly(): void;
}

const attempts = new AsyncLocalStorage<AttemptIo>();
let subscribed = false;
/** The attempt that created each request that went through an Agent. */
const origins = new WeakMap<ClientRequest, AttemptIo>();

/**
 * NOTE: Node 20 publishes `http.client.request.start` when a request gets its socket, so a request
 * that waited in its agent's pool (a client's maxSockets) is published in the async context of
 * whichever request freed the socket: another attempt's. Agent#addRequest runs in the creator's
 * context (the ClientRequest constructor calls it), so the owner is noted there.
 */
function noteOrigins(): void {
  type AddRequest = (this: Agent, request: ClientRequest, ...rest: unknown[]) => unknown;
  const proto = Agent.prototype as unknown as { addRequest: AddRequest };
  const original = proto.addRequest;
  proto.addRequest = function addRequest(this: Agent, request: ClientRequest, ...rest: unknown[]) {
    const io = attempts.getStore();
    if (io) {
      origins.set(request, io);
      io.onQueued();
    }
    return original.call(this, request, ...rest);
  };
}

function track(message: unknown): void {
  const request = (message as { request?: ClientRequest }).request;
  const io = request ? (origins.get(request) ?? attempts.getStore()) : undefined;
  if (!io || !request) return;
  io.onRequest(request);
  const onData = (chunk: Buffer) => io.onActivity(chunk.length);
  // NOTE: no listener on the response itself: one on its data or errors would change how it flows.
  let response: IncomingMessage | undefined;
  request.once('response', (answer: IncomingMessage) => {
    response = answer;
  });
  const onClose = () => {
    if (response && !response.complete) io.onClosedEarly();
  };
  const watch = (socket: Socket) => {
    io.onSocket();
    socket.on('data', onData);
    socket.once('close', onClose);
    // NOTE: a kept-alive socket serves later requests too; this attempt stops listening when done.
    request.once('close', () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    });
  };
  if (request.socket) watch(request.socket);
  else request.once('socket', watch);
}

/** Runs `fn` with every HTTP request it starts reported to `io`. */
export function withAttemptIo<T>(io: AttemptIo, fn: () => Promise<T>): Promise<T> {
  if (!subscribed) {
    subscribed = true;
    noteOrigins();
    subscribe('http.client.request.start', track);
  }
  return attempts.run(io, fn);
}
