// Every mock binds 127.0.0.1 the same way: an ephemeral port unless one is asked for, and a close
// that also ends the clients' kept-alive connections (else it waits for their idle timeout).
import type { Server } from 'node:http';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/**
 * How long a mock keeps an idle connection open. It must outlast every client's own pooling of
 * idle sockets (Node's global agent: 5 s; the AWS SDK's and gax's keep-alive agents: no limit at
 * all), or the server closes a socket just as the client reuses it, and the client sees ECONNRESET
 * and retries a call nothing was wrong with. 10 minutes outlasts any run against a mock.
 */
export const KEEP_ALIVE_MS = 10 * 60_000;

export async function listenOnLoopback(server: Server, port = 0): Promise<Listening> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node wants the header timeout above the keep-alive timeout; a slow test client is not an attack.
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock server has no TCP address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
