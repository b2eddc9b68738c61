// Which HTTP requests belong to which attempt of call(), whatever client sent them. Every cloud
// client here ends in node:http(s) (the AWS SDK's NodeHttpHandler, gaxios/node-fetch under gax,
// axios under @linode/api-v4, https.request in `ovh`), and Node publishes each such request on the
// `http.client.request.start` diagnostics channel in the async context of whoever sent it. So
// call() can see bytes arrive (its idle timeout) and can end a request itself, even for clients
// that take no AbortSignal (gax over REST, `ovh`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface AttemptIo {
  /** A request of this attempt started (the first one arms the idle timer). */
  onRequest(request: ClientRequest): void;
  /** Bytes arrived for a request of this attempt. */
  onActivity(bytes: number): void;
  /** The connection closed while an answer of this attempt was still coming. */
  onClosedEarly(): void;
}

const attempts = new AsyncLocalStorage<AttemptIo>();
let subscribed = false;

function track(message: unknown): void {
  const io = attempts.getStore();
  const request = (message as { request?: ClientRequest }).request;
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
    subscribe('http.client.request.start', track);
  }
  return attempts.run(io, fn);
}
