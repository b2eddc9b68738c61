import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseListenQueueLog } from '../../src/ingest/listen-queue-log.ts';
import { hostFolders, hostSample, utc } from './shared-files.ts';

describe('parseListenQueueLog', () => {
  it.each(hostFolders)('reads %s: the app listener with its 1024 backlog', (folder) => {
    const text = readFileSync(hostSample(folder, 'listen-queue.log'), 'utf8');
    const { listeners } = parseListenQueueLog(text, 'listen-queue.log');
    const app = listeners['127.0.0.1:8000'];
    expect(Object.keys(listeners)).toEqual(['127.0.0.1:8000']);
    expect(app?.timesMs).toHaveLength(text.trim().split('\n').length);
    expect(app?.sendQ.every((backlog) => backlog === 1024)).toBe(true);
    expect(app?.recvQ.every((queued) => queued === 0)).toBe(true);
  });

  it('keeps one series per listener, skips seconds with no listener, and reads IPv6', () => {
    const text = [
      '2026-11-24 08:00:00 LISTEN 3 128 127.0.0.1:8000 0.0.0.0:*',
      '2026-11-24 08:00:00 LISTEN 0 4096 [::]:9100 [::]:*',
      '2026-11-24 08:00:01',
      '2026-11-24 08:00:02 LISTEN 129 128 127.0.0.1:8000 0.0.0.0:*',
    ].join('\n');
    const { listeners } = parseListenQueueLog(text, 'listen-queue.log');
    expect(listeners['127.0.0.1:8000']).toEqual({
      timesMs: [utc('2026-11-24 08:00:00'), utc('2026-11-24 08:00:02')],
      recvQ: [3, 129],
      sendQ: [128, 128],
    });
    expect(listeners['[::]:9100']?.sendQ).toEqual([4096]);
  });

  it('names a bad line', () => {
    const text = '2026-11-24 08:00:00 LISTEN 0 128 127.0.0.1:8000 0.0.0.0:*\nState Recv-Q Send-Q\n';
    expect(() => parseListenQueueLog(text, 'listen-queue.log')).toThrow(expect.objectContaining({ line: 2 }));
  });
});
