export { type AuditHtmlOptions, buildAuditHtml, renderAuditHtml } from './audit.ts';
export { buildDiagnoseHtml, renderDiagnoseHtml } from './diagnose.ts';
