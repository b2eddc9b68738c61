// The mocks keep an idle connection open longer than any client pools it (issue 9 point 2): else
// the server closes a socket just as a client reuses it, the client sees ECONNRESET and retries a
// call nothing was wrong with. Node's server closes idle sockets after 5 s by default.
import { Agent, createServer, get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../mocks/servers/listen.ts';

describe('listenOnLoopback', () => {
  it('keeps an idle kept-alive connection past the 5 s at which Node would close it', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const listening = await listenOnLoopback(server);
    // The AWS SDK's and gax's agents: keep-alive, and no limit of their own on an idle socket.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const localPort = () =>
      new Promise<number>((resolve, reject) => {
        get(`http://127.0.0.1:${listening.port}/`, { agent }, (res) => {
          const port = res.socket.localPort!;
          res.resume().on('end', () => resolve(port));
        }).on('error', reject);
      });
    try {
      const first = await localPort();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(await localPort()).toBe(first);
    } finally {
      agent.destroy();
      await listening.close();
    }
  });
});
