export { type AuditMarkdownOptions, renderAuditMarkdown, renderFindingMarkdown } from './audit.ts';
export { renderDiagnoseMarkdown } from './diagnose.ts';
