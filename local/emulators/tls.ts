import { generate } from 'selfsigned';

/** A certificate for `localhost` and `127.0.0.1`, made fresh at every start: nothing secret is stored. */
export interface LocalTlsMaterial {
  /** PEM private key of the server certificate. */
  key: string;
  /** PEM certificate; it is its own CA, so clients trust it through a `ca` option. */
  cert: string;
}

export async function createLocalTls(): Promise<LocalTlsMaterial> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
