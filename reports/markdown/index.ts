export { type AuditMarkdownOptions, renderAuditMarkdown, renderFindingMarkdown } from './audit.ts';
export { FINDING_MD_MAX_CHARS, REPORT_MD_MAX_CHARS } from './budget.ts';
export { renderDiagnoseMarkdown } from './diagnose.ts';
export { findingFilePath } from './file-names.ts';
