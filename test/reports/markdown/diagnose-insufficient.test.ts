// The diagnose markdown of a folder without evidence: no verdict, said first, with the reasons;
// and every other diagnosis says why its confidence is what it is.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { renderDiagnoseMarkdown } from '../../../reports/markdown/diagnose.ts';
import { silentLogger } from '../../../src/log.ts';
import { runDiagnose } from '../../../src/run/diagnose.ts';
import { sampleDir } from '../../helpers/onhost.ts';

const work = mkdtempSync(join(tmpdir(), 'fleetlens-md-insufficient-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('shows insufficient data as no verdict, with what was missing or damaged', async () => {
  writeFileSync(join(work, 'threads.log'), 'not a thread log\n');
  const md = renderDiagnoseMarkdown(await runDiagnose([work], silentLogger));
  expect(md).toContain(`- ${work}: insufficient data, no verdict`);
  expect(md).toContain(`## ${work}: insufficient data (no verdict)`);
  expect(md).toMatch(/this is not a healthy verdict\. Confidence 0\./);
  expect(md).toMatch(/### Why\n\n- no input carries a signal of any class/);
  expect(md).toMatch(/- unreadable or damaged: threads\.log/);
  expect(md).not.toMatch(/healthy \(/);
});

it('says why the confidence of a verdict is below 1', async () => {
  const md = renderDiagnoseMarkdown(await runDiagnose([sampleDir('busy-healthy')], silentLogger));
  expect(md).toMatch(/### Why this confidence\n\n- /);
});
