// File names built from ids that travel through report.json: a finding id is a hex fingerprint today,
// but the name is made safe by construction, not by trusting that.
import { createHash } from 'node:crypto';

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// Names Windows reserves in every folder, whatever the extension.
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * `findings/<id>.md` for an id that is already a safe lower-case name; otherwise its safe characters,
 * a dot and 12 hex digits of its SHA-256. A safe name has no dot, so the two kinds never meet, and
 * two ids never share a file (also on case-insensitive disks).
 */
export function findingFilePath(findingId: string): string {
  if (SAFE_NAME.test(findingId) && !RESERVED.test(findingId)) return `findings/${findingId}.md`;
  const stem = findingId
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(findingId, 'utf8').digest('hex').slice(0, 12);
  return `findings/${stem || 'id'}.${hash}.md`;
}
