// Module resolution hooks (they run off the main thread): append each resolved cloud SDK URL.
import { appendFileSync } from 'node:fs';

const SDK = /node_modules\/(@google-cloud|@aws-sdk|@linode|ovh|google-gax)\//;
let file;

export function initialize(data) {
  file = data?.file;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (file && SDK.test(result.url)) appendFileSync(file, `${result.url}\n`);
  return result;
}
