// The self-signed certificate each running OVH mock serves, by endpoint. Tiny on purpose: the
// provider registry reads it for the demo's client without loading the mock or `selfsigned`.
const byEndpoint = new Map<string, string>();

export function registerOvhMockCertificate(endpoint: string, pem: string): () => void {
  byEndpoint.set(endpoint, pem);
  return () => {
    if (byEndpoint.get(endpoint) === pem) byEndpoint.delete(endpoint);
  };
}

/** The PEM of the OVH mock listening at `endpoint`, if one is running in this process. */
export function ovhMockCertificateFor(endpoint: string): string | undefined {
  return byEndpoint.get(endpoint);
}
