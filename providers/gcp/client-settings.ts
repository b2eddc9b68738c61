// What the GCP adapter's modules share about its clients without loading them: the SDKs are
// imported only when a GCP project is configured (clients.ts, loaded by index.ts on first use).

/**
 * With an `endpoint` (a mock; never in production, where ADC applies), the bearer token to send when
 * the options give none: the variable Terraform's google provider reads for a ready-made token.
 * `fleetlens mock --write-config` prints it with the mock's throwaway token.
 */
export const ACCESS_TOKEN_VARIABLE = 'GOOGLE_OAUTH_ACCESS_TOKEN';

/**
 * Per-call options for every request. google-gax 5 sees HTTP statuses (429, 503) where its default
 * retry expects gRPC codes, so its retry never fires (googleapis/gax-nodejs#1803); it is switched
 * off here outright and call() retries instead: one retry layer, never two.
 */
export const CALL_OPTIONS = { autoPaginate: false, retry: null } as const;

/** gax takes no AbortSignal: the caller stops waiting when call() times out or the run is aborted. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
