import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { publishedSecretName } from '../../../shared/rotation/publishedSecretName';

const docsDir = path.join(__dirname, '../../../docs');
const manifestDir = path.join(docsDir, 'self-hosted-gateway');
const markdown = readFileSync(path.join(docsDir, 'self-hosted-gateway.md'), 'utf8');
const manifestFiles = readdirSync(manifestDir).sort();
const read = (file: string) => readFileSync(path.join(manifestDir, file), 'utf8');

/** The examples are for gateway gw1 of alias apimService1; the name comes from the broker's code. */
const secretName = publishedSecretName('apimService1', 'gw1');
/** Key Vault Secrets User (learn.microsoft.com built-in roles); pinned by ID because a public snippet mislabels the Officer ID. */
const KEY_VAULT_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
/** Placeholders look like <publish-vault-name>, so nobody mistakes an example for a real vault or identity. */
const PLACEHOLDER = /^<[a-z0-9-]+>$/;
const NAMESPACE = 'apim-gateway';

const yamlFiles = manifestFiles.filter((file) => file.endsWith('.yaml'));
const parsed = new Map(yamlFiles.map((file) => [file, parseAllDocuments(read(file))]));
const toJs = (file: string): any[] => (parsed.get(file) ?? []).map((document) => document.toJS());
const values = () => toJs('helm-values.yaml')[0];
const resources = () => yamlFiles.filter((file) => file !== 'helm-values.yaml').flatMap(toJs);
/** The one resource of that kind and name (the names are the links between the manifests). */
const one = (kind: string, name: string) => {
  const found = resources().filter((resource) => resource.kind === kind && resource.metadata?.name === name);
  expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
  return found[0];
};
const providerClass = () => one('SecretProviderClass', 'apim-gateway-gw1-token');
const syncedSecretName = () => providerClass().spec.secretObjects[0].secretName;

describe('self-hosted gateway delivery manifests (docs/self-hosted-gateway)', () => {
  it('parse as YAML without errors or warnings (duplicate keys included)', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(4);
    for (const [file, documents] of parsed) {
      expect({ file, empty: documents.length === 0 }).toEqual({ file, empty: false });
      for (const document of documents) {
        expect({ file, errors: document.errors, warnings: document.warnings }).toEqual({ file, errors: [], warnings: [] });
      }
    }
  });

  it('are Kubernetes objects of the right apiVersion for their kind, all in one namespace', () => {
    const apiVersions: Record<string, string> = {
      SecretProviderClass: 'secrets-store.csi.x-k8s.io/v1',
      Deployment: 'apps/v1',
      ServiceAccount: 'v1',
    };
    expect(resources().length).toBeGreaterThanOrEqual(4);
    for (const resource of resources()) {
      expect({ kind: resource.kind, apiVersion: resource.apiVersion }).toEqual({
        kind: resource.kind,
        apiVersion: apiVersions[resource.kind],
      });
      expect(resource.metadata.namespace).toBe(NAMESPACE);
    }
  });

  it('read the published secret from Key Vault with workload identity and sync it under the key gateway-key', () => {
    const { spec } = providerClass();
    expect(spec.provider).toBe('azure');
    const { parameters } = spec;
    expect(parameters.usePodIdentity).toBe('false');
    for (const key of ['keyvaultName', 'tenantId', 'clientID']) expect(parameters[key]).toMatch(PLACEHOLDER);
    // objects is YAML inside a string, and each array entry is YAML inside a string again.
    const array: string[] = parseDocument(parameters.objects).toJS().array;
    expect(array.map((entry) => parseDocument(entry).toJS())).toEqual([{ objectName: secretName, objectType: 'secret' }]);
    expect(spec.secretObjects).toHaveLength(1);
    expect(spec.secretObjects[0].data).toEqual([{ objectName: secretName, key: 'gateway-key' }]);
  });

  it('keep the synced Secret alive with a whole-volume CSI mount by a pod whose service account has the same identity', () => {
    const tokenSync = one('Deployment', 'apim-gateway-gw1-token-sync');
    const pod = tokenSync.spec.template.spec;
    expect(pod.volumes).toEqual([
      {
        name: expect.any(String),
        csi: {
          driver: 'secrets-store.csi.k8s.io',
          readOnly: true,
          volumeAttributes: { secretProviderClass: providerClass().metadata.name },
        },
      },
    ]);
    const mounts = pod.containers.flatMap((container: any) => container.volumeMounts ?? []);
    expect(mounts.map((mount: any) => mount.name)).toEqual([pod.volumes[0].name]);
    // A subPath mount never receives a rotated value.
    for (const mount of mounts) expect(mount.subPath).toBeUndefined();
    expect(tokenSync.spec.replicas).toBeGreaterThanOrEqual(2);
    const account = one('ServiceAccount', pod.serviceAccountName);
    expect(account.metadata.annotations['azure.workload.identity/client-id']).toBe(providerClass().spec.parameters.clientID);
  });

  it('chain one Secret name: the synced Secret = Helm secret.existingSecretName = the reloader annotation on the chart Deployment', () => {
    const helm = values();
    expect(helm.secret).toEqual({ createSecret: false, existingSecretName: syncedSecretName() });
    expect(helm.gateway.configuration.uri).toMatch(PLACEHOLDER);
    expect(helm.gateway.auth?.key).toBeUndefined();
    // fullnameOverride fixes the chart Deployment's name, which the patch names.
    const reloaderPatch = one('Deployment', helm.fullnameOverride);
    expect(reloaderPatch.metadata.annotations).toEqual({ 'secret.reloader.stakater.com/reload': syncedSecretName() });
  });
});

describe('least privilege for the cluster', () => {
  function runRoleAssignment(rbac: string) {
    const stubDir = mkdtempSync(path.join(tmpdir(), 'az-stub-'));
    const log = path.join(stubDir, 'calls.log');
    const vaultId =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-publish/providers/Microsoft.KeyVault/vaults/kv-publish';
    // A stand-in for the az CLI: records each call (arguments tab-separated) and answers the reads the script makes.
    writeFileSync(
      path.join(stubDir, 'az'),
      [
        '#!/usr/bin/env bash',
        `(IFS=$'\\t'; echo "$*") >> '${log}'`,
        'case "$*" in',
        `  "keyvault show --name kv-publish --query id --output tsv") echo '${vaultId}' ;;`,
        `  "keyvault show --name kv-publish --query properties.enableRbacAuthorization --output tsv") echo '${rbac}' ;;`,
        '  "identity show --name id-gateway --resource-group rg-identity --query principalId --output tsv") echo principal-1 ;;',
        '  "role assignment create "*) echo "{}" ;;',
        '  *) exit 2 ;;',
        'esac',
      ].join('\n'),
    );
    chmodSync(path.join(stubDir, 'az'), 0o755);
    const env = {
      PATH: `${stubDir}${path.delimiter}${process.env.PATH}`,
      PUBLISH_VAULT_NAME: 'kv-publish',
      SECRET_NAME: secretName,
      IDENTITY_NAME: 'id-gateway',
      IDENTITY_RESOURCE_GROUP: 'rg-identity',
    };
    let failed = false;
    try {
      execFileSync('bash', [path.join(manifestDir, 'role-assignment.sh')], { env, stdio: 'pipe' });
    } catch {
      failed = true;
    }
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
    rmSync(stubDir, { recursive: true, force: true });
    return { failed, vaultId, assignments: calls.map((line) => line.split('\t')).filter((args) => args[0] === 'role') };
  }

  it('role-assignment.sh grants Key Vault Secrets User on that one published secret, by ID', () => {
    const { failed, vaultId, assignments } = runRoleAssignment('true');
    expect(failed).toBe(false);
    expect(assignments).toEqual([
      [
        'role',
        'assignment',
        'create',
        '--assignee-object-id',
        'principal-1',
        '--assignee-principal-type',
        'ServicePrincipal',
        '--role',
        KEY_VAULT_SECRETS_USER,
        '--scope',
        `${vaultId}/secrets/${secretName}`,
      ],
    ]);
  });

  it('role-assignment.sh refuses a vault outside the RBAC permission model, where a secret scope grants nothing', () => {
    const { failed, assignments } = runRoleAssignment('false');
    expect(failed).toBe(true);
    expect(assignments).toEqual([]);
  });

  it('role-assignment.bicep assigns the same role ID at the scope of the published secret', () => {
    const bicep = read('role-assignment.bicep');
    expect(bicep).toContain(`var keyVaultSecretsUser = '${KEY_VAULT_SECRETS_USER}'`);
    expect(bicep).toMatch(
      /resource publishedSecret 'Microsoft\.KeyVault\/vaults\/secrets@[\d-]+' existing = \{\s*parent: publishVault\s*name: secretName\s*\}/,
    );
    const assignment = bicep.match(/resource \w+ 'Microsoft\.Authorization\/roleAssignments@[\d-]+' = \{([\s\S]*)\}/)?.[1] ?? '';
    expect(assignment).toMatch(/^\s*scope: publishedSecret$/m);
    expect(assignment).toContain(
      "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)",
    );
  });
});

describe('docs/self-hosted-gateway.md', () => {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');

  it('links every manifest, and every relative link and anchor resolves', () => {
    for (const file of manifestFiles) expect(links).toContain(`self-hosted-gateway/${file}`);
    const headings = [...markdown.matchAll(/^#{2,6} (.+)$/gm)].map((match) =>
      (match[1] ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    for (const link of links.filter((target) => !/^https?:/.test(target))) {
      if (link.startsWith('#')) expect(headings).toContain(link.slice(1));
      else expect({ link, exists: existsSync(path.join(docsDir, link)) }).toEqual({ link, exists: true });
    }
  });

  it('names only the published secret the broker computes, and holds no secret', () => {
    const texts = [markdown, ...manifestFiles.map(read)];
    for (const text of texts) {
      for (const [name] of text.matchAll(/\bgw-[0-9a-z-]+--[0-9a-z-]+\b/g)) expect(name).toBe(secretName);
      // A gateway token is {gatewayId}&{yyyyMMddHHmm}&{signature}; a value after GatewayKey is only ever a placeholder.
      expect(text).not.toMatch(/&\d{12}&/);
      for (const [, value] of text.matchAll(/GatewayKey (\S+)/g)) expect(value).toMatch(/^<[a-z-]+>/);
      for (const [guid] of text.matchAll(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi)) {
        expect(guid).toBe(KEY_VAULT_SECRETS_USER);
      }
    }
  });
});
